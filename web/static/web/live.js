// The live connection: one websocket, resumed by seq, with an outbox for taps and answers.
// The server never sends a gap or a duplicate on one socket; if this side ever sees one
// (or a heartbeat ahead of it), it reconnects with after=<seq>.
//
// A change is done when its own event comes back carrying its op_id (or, for a retry of
// one already applied, an ack); refused when an error frame carries it. What was queued
// while offline is looked at again once the socket has caught up (the heartbeat that
// answers the first ping), before it is sent: a tap a later one replaced, a tap made
// stale by a change from another device, an answer to a light that has changed since
// are not sent, and `onDropped` says why.
import { newOpId, showNet } from "./common.js";

const MAX_DELAY = 30000;
const QUIET_LIMIT = 65000; // two heartbeats and a little: a socket this quiet is deaf

const lightSince = (person) => person?.signal.since ?? person?.signal.set_at ?? null;

export class Live {
  constructor({ store, onFrame, onDropped }) {
    this.store = store;
    this.key = `porchlight.outbox.${store.me.id}`;
    this.onFrame = onFrame;
    this.onDropped = onDropped;
    this.delay = 500;
    this.ws = null;
    this.caughtUp = false;
    this.sentHere = new Set();
    this.outbox = JSON.parse(localStorage.getItem(this.key) || "[]");
  }

  get connected() {
    return this.caughtUp && this.ws?.readyState === WebSocket.OPEN;
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
    if (this.stopped) return;
    if (this.ws || !navigator.onLine) { if (!navigator.onLine) showNet("offline"); return; }
    showNet("connecting");
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const { id, seq } = this.store.couple;
    const ws = new WebSocket(`${scheme}://${location.host}/ws/?couple=${id}&after=${seq}`);
    this.ws = ws;
    this.caughtUp = false;
    this.sentHere = new Set();
    ws.onopen = () => {
      this.delay = 500;
      showNet("online");
      ws.send(JSON.stringify({ type: "ping" })); // its heartbeat comes after the replay
      this.watch();
    };
    ws.onmessage = (message) => { this.watch(); this.take(JSON.parse(message.data)); };
    ws.onclose = (event) => {
      if (this.stopped) return;
      if (this.ws === ws) this.ws = null;
      this.caughtUp = false;
      clearTimeout(this.watchdog);
      if (event.code === 4401) { location.href = "/accounts/login/"; return; }
      if (event.code === 4403) { location.href = "/pair/"; return; }
      showNet(navigator.onLine ? "connecting" : "offline");
      this.onFrame({ type: "closed" });
      this.connectSoon();
    };
  }

  // No more connecting: the page is leaving (an account being deleted says where to).
  stop() {
    this.stopped = true;
    clearTimeout(this.retry);
    clearTimeout(this.watchdog);
    this.ws?.close();
  }

  resume() {
    this.stopped = false;
    this.connectSoon(0);
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
    if (frame.op_id && frame.type !== "snapshot") frame.settled = this.settle(frame.op_id, frame);
    switch (frame.type) {
      case "snapshot":
        this.store.reset(frame.couple);
        break;
      case "event":
        if (frame.seq <= this.store.seq) { if (frame.settled) this.onFrame(frame); return; }
        if (frame.seq !== this.store.seq + 1) { this.reconnect(); return; }
        this.store.apply(frame);
        break;
      case "heartbeat":
        if (frame.seq > this.store.seq) { this.reconnect(); return; }
        if (!this.caughtUp) {
          this.caughtUp = true;
          this.vet();
          this.flush();
        }
        break;
    }
    this.store.heard();
    this.onFrame(frame);
  }

  // A tap or an answer: kept until the server says it is done or refused, sent again on
  // every new socket; the op_id makes the server apply it once however often it comes.
  send(message) {
    const partner = this.store.partner();
    const queued = {
      ...message,
      op_id: message.op_id || newOpId(),
      // What it was made against: a change of either since, not made here, makes it stale
      // (an answer goes to the light that came on then, whatever notes it has had since).
      mine_at: this.store.mine().signal.set_at,
      light_since: message.light_since ?? lightSince(partner),
    };
    this.outbox.push(queued);
    this.save();
    this.flush();
    return { op_id: queued.op_id, now: this.connected };
  }

  vet() {
    const mine = this.store.mine();
    const partner = this.store.partner();
    const unsent = this.outbox.filter((m) => !m.sent);
    const lastTap = unsent.filter((m) => m.type === "signal.set").at(-1);
    const kept = [];
    for (const message of this.outbox) {
      let why = null;
      if (!message.sent && message.type === "signal.set") {
        if (message !== lastTap) why = gettext("A later tap replaced it.");
        else if (mine.signal.set_at !== message.mine_at) why = gettext("Your light was changed on another device meanwhile.");
      } else if (!message.sent && message.type === "signal.answer") {
        const open = partner && ["yellow", "red"].includes(partner.signal.state);
        if (!open || lightSince(partner) !== message.light_since) {
          why = interpolate(gettext("%(name)s's light changed meanwhile."), { name: partner?.display_name ?? "" }, true);
        }
      }
      if (why) this.onDropped?.(message, why);
      else kept.push(message);
    }
    this.outbox = kept;
    this.save();
  }

  flush() {
    if (!this.connected) return;
    for (const message of this.outbox) {
      if (this.sentHere.has(message.op_id)) continue;
      this.sentHere.add(message.op_id);
      message.sent = true;
      const { mine_at, light_since, sent, ...frame } = message;
      this.ws.send(JSON.stringify(frame));
    }
    this.save();
  }

  // Done (its event, or an ack) or refused (an error): out of the outbox either way.
  settle(opId, frame) {
    const message = this.outbox.find((m) => m.op_id === opId);
    if (!message) return false;
    this.outbox = this.outbox.filter((m) => m !== message);
    if (frame.type === "event" && frame.kind === "signal.changed") {
      // This device's own change: what is queued after it was made against it.
      for (const later of this.outbox) later.mine_at = frame.data.set_at;
    }
    if (frame.type === "error") frame.refused = message;
    this.save();
    return true;
  }

  save() {
    localStorage.setItem(this.key, JSON.stringify(this.outbox));
  }

  pending(type) {
    return this.outbox.filter((m) => m.type === type);
  }
}
