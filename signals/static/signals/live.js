// The live connection: one websocket, resumed by seq, with an outbox for taps made
// while offline. The server never sends a gap or a duplicate on one socket; if this
// side ever sees one (or a heartbeat ahead of it), it reconnects with after=<seq>.
import { newOpId, showNet } from "./common.js";

const MAX_DELAY = 30000;
const QUIET_LIMIT = 65000; // two heartbeats and a little: a socket this quiet is deaf

export class Live {
  constructor({ userId, coupleId, seq, onFrame }) {
    this.key = `porchlight.outbox.${userId}`;
    this.coupleId = coupleId;
    this.seq = seq;
    this.onFrame = onFrame;
    this.delay = 500;
    this.ws = null;
    this.sentHere = new Set();
    this.outbox = JSON.parse(localStorage.getItem(this.key) || "[]");
  }

  start() {
    this.connect();
    window.addEventListener("online", () => this.connectSoon(0));
    window.addEventListener("offline", () => { showNet("offline"); this.ws?.close(); });
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState !== "visible") return;
      if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: "ping" }));
      else this.connectSoon(0);
    });
  }

  connect() {
    if (this.ws || !navigator.onLine) { if (!navigator.onLine) showNet("offline"); return; }
    showNet("connecting");
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws/?couple=${this.coupleId}&after=${this.seq}`);
    this.ws = ws;
    this.sentHere = new Set();
    ws.onopen = () => { this.delay = 500; showNet("online"); this.flush(); this.watch(); };
    ws.onmessage = (message) => { this.watch(); this.take(JSON.parse(message.data)); };
    ws.onclose = (event) => {
      if (this.ws === ws) this.ws = null;
      clearTimeout(this.watchdog);
      if (event.code === 4401) { location.href = "/accounts/login/"; return; }
      if (event.code === 4403) { location.href = "/pair/"; return; }
      showNet(navigator.onLine ? "connecting" : "offline");
      this.connectSoon();
    };
  }

  connectSoon(wait) {
    clearTimeout(this.retry);
    const jittered = wait ?? this.delay * (0.5 + Math.random() / 2);
    this.delay = Math.min(this.delay * 2, MAX_DELAY);
    this.retry = setTimeout(() => this.connect(), jittered);
  }

  reconnect() {
    const ws = this.ws;
    this.ws = null;
    ws?.close();
    this.connectSoon(0);
  }

  watch() {
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.reconnect(), QUIET_LIMIT);
  }

  take(frame) {
    // A tap is done when its event comes back carrying its op_id (or, for a retry of a
    // tap already applied, an ack; or an error): settled even if the event is old news.
    if (frame.op_id && frame.type !== "snapshot") frame.settled = this.settle(frame.op_id);
    switch (frame.type) {
      case "snapshot":
        this.seq = frame.seq;
        this.coupleId = frame.couple.id;
        break;
      case "event":
        if (frame.seq <= this.seq) return;
        if (frame.seq !== this.seq + 1) { this.reconnect(); return; }
        this.seq = frame.seq;
        break;
      case "heartbeat":
        if (frame.seq > this.seq) this.reconnect();
        return;
    }
    this.onFrame(frame);
  }

  // A tap: kept until the server acknowledges it, sent again on every new socket.
  // The op_id makes the server apply it once however often it arrives.
  send(message) {
    const queued = { ...message, op_id: message.op_id || newOpId() };
    this.outbox.push(queued);
    this.save();
    this.flush();
    return { op_id: queued.op_id, now: this.ws?.readyState === WebSocket.OPEN };
  }

  flush() {
    if (this.ws?.readyState !== WebSocket.OPEN) return;
    for (const message of this.outbox) {
      if (this.sentHere.has(message.op_id)) continue;
      this.sentHere.add(message.op_id);
      this.ws.send(JSON.stringify(message));
    }
  }

  settle(opId) {
    const before = this.outbox.length;
    this.outbox = this.outbox.filter((m) => m.op_id !== opId);
    this.save();
    return this.outbox.length < before;
  }

  save() {
    localStorage.setItem(this.key, JSON.stringify(this.outbox));
  }

  get pending() {
    return this.outbox.length;
  }
}
