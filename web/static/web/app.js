// Every page of a paired person: one store of the couple's state (store.js), one live
// connection (live.js), the partner's strip with the ways to answer, a mark on the
// Lights tab while their red waits, and the banners of reminders, nudges and asks, each
// of which can be put away. Pages take frames from here (`app.on`) and read the store.
import { blockName, boot, formatTime } from "./common.js";
import { Live } from "./live.js";
import { Store } from "./store.js";

const start = boot();
const $ = (id) => document.getElementById(id);
const page = document.body.dataset.page;

export const LIGHT_WORDS = { green: gettext("Green"), yellow: gettext("Yellow"), red: gettext("Red") };
const IN_A_SENTENCE = { green: gettext("green"), yellow: gettext("yellow"), red: gettext("red") };
export const REPLIES = Object.fromEntries((start?.replies || []).map((r) => [r.key, r]));

// A preview's words: a preset in this reader's language, else the author's own.
const PRESETS = Object.fromEntries((start?.presets || []).map((p) => [p.key, p.message]));
export const presetWords = (preview) => PRESETS[preview.preset] ?? preview.message;

// "Ben: red", with the colon of the reader's language.
export const said = (who, what) => interpolate(gettext("%(who)s: %(what)s"), { who, what }, true);

export const answerText = (answer, name) =>
  said(name, REPLIES[answer.reply].words) + (answer.note ? ` ${interpolate(gettext("“%(text)s”"), { text: answer.note }, true)}` : "");

// A note as the server will take it: tabs and line breaks become spaces, other control
// characters go, and nothing past 280 characters (checked before sending, never refused after).
export const NOTE_MAX = 280;
export function noteClean(text) {
  return text.replace(/[\t\n\r]+/g, " ").replace(/[\u0000-\u001f\u007f-\u009f]/g, "").trim();
}

// "Last known, 10:32" while the connection is not there: a phone never shows an old
// light as if it were now.
export function lastKnown(store, live) {
  // The first moments of a page, online, are its connection catching up: nothing to say.
  if (live.connected || (navigator.onLine && performance.now() < 3000)) return "";
  const at = store.heardAt ? formatTime(store.heardAt, store.me.timezone, true) : "";
  return at ? interpolate(gettext("Last known, %(time)s."), { time: at }, true) : gettext("Last known.");
}

function createApp(start) {
  const store = new Store(start);
  const listeners = [];
  const app = {
    store,
    on(listener) { listeners.push(listener); },
    answer(reply, note, opId, lightSince) {
      const sent = live.send({ type: "signal.answer", reply, note: noteClean(note || ""), op_id: opId, light_since: lightSince });
      answerStatus = sent.now ? gettext("Sending…") : gettext("Saved here; it will be sent when you're back online.");
      render();
      return sent;
    },
  };
  let answerStatus = "";
  const live = new Live({
    store,
    onFrame(frame) {
      if (frame.type === "event") { announce(frame); banner(frame); }
      if (frame.type === "error" && frame.refused?.type === "signal.answer") {
        answerStatus = interpolate(gettext("Not sent: %(why)s"), { why: reason(frame) }, true);
      } else if (frame.settled && frame.kind === "signal.answered") {
        answerStatus = interpolate(gettext("Sent: %(words)s"), { words: REPLIES[frame.data.reply]?.words ?? "" }, true);
      }
      for (const listener of listeners) listener(frame);
      document.body.dataset.seq = String(store.seq); // what this page has seen, for tests and debugging
      render();
    },
    onDropped(message, why) {
      const text = interpolate(gettext("Not sent: %(why)s"), { why }, true);
      if (message.type === "signal.answer") answerStatus = text;
      for (const listener of listeners) listener({ type: "dropped", message, why: text });
    },
  });
  app.live = live;

  // The partner's strip, on every page but Lights (whose partner card says it all).
  const strip = $("strip");
  if (strip) {
    for (const reply of start.replies) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.reply = reply.key;
      button.textContent = reply.button;
      button.addEventListener("click", () => app.answer(reply.key, ""));
      $("strip-replies").append(button);
    }
  }

  function render() {
    const them = store.partner();
    const waiting = them && them.signal.state === "red" && them.signal.answer?.by !== store.me.id;
    const mark = document.querySelector(".tabs .mark");
    if (mark) mark.hidden = !waiting;
    // The installed app's icon says it too (the service worker sets it when the app is closed).
    if ("setAppBadge" in navigator) (waiting ? navigator.setAppBadge(1) : navigator.clearAppBadge()).catch(() => {});
    if (!strip || !them) return;
    strip.hidden = false;
    const state = them.signal.state || "";
    strip.dataset.state = state;
    $("strip-shape").setAttribute("href", state ? `#shape-${state}` : "");
    $("strip-name").textContent = them.display_name;
    $("strip-word").textContent = state ? LIGHT_WORDS[state] : gettext("No light yet");
    const note = $("strip-note");
    note.textContent = them.signal.note || "";
    note.hidden = !them.signal.note;
    $("strip-since").textContent = lastKnown(store, live);
    const open = ["yellow", "red"].includes(state);
    $("strip-replies").hidden = !open;
    const mine = them.signal.answer?.by === store.me.id ? them.signal.answer : null;
    const pending = live.pending("signal.answer").at(-1);
    for (const button of $("strip-replies").querySelectorAll("button")) {
      button.setAttribute("aria-pressed", String(button.dataset.reply === (pending?.reply ?? mine?.reply)));
      button.classList.toggle("pending", button.dataset.reply === pending?.reply);
    }
    $("strip-status").textContent = open ? answerStatus : "";
    // Their answer to my light goes with my light, apart from their card.
    const self = store.mine();
    const theirs = ["yellow", "red"].includes(self.signal.state) && self.signal.answer?.by === them.id ? self.signal.answer : null;
    $("strip-mine").hidden = !theirs;
    $("strip-mine").textContent = theirs
      ? interpolate(gettext("Your %(light)s light · %(answer)s"), { light: IN_A_SENTENCE[self.signal.state], answer: answerText(theirs, them.display_name) }, true)
      : "";
  }
  app.render = render;

  // A screen reader hears the partner at once, whatever page is open.
  function announce(event) {
    const them = store.partner();
    if (!them || event.actor !== them.id) return;
    if (event.kind === "signal.changed") answerStatus = "";
    const text = {
      "signal.changed": () => interpolate(
        gettext("%(name)s's light is now %(light)s. %(meaning)s"),
        { name: them.display_name, light: IN_A_SENTENCE[event.data.state], meaning: start.meanings[event.data.state] },
        true,
      ),
      "preview.posted": () => said(them.display_name, presetWords(event.data.preview)),
      reunion: () => interpolate(gettext("%(name)s is back."), { name: them.display_name }, true),
      "signal.answered": () => answerText(event.data, them.display_name),
    }[event.kind];
    // Out of reach, I hear only a red at once; the rest is said politely, when the reader is free.
    const until = store.mine().preview?.unreachable_until;
    const away = until && new Date(until) > new Date() && !(event.kind === "signal.changed" && event.data.state === "red");
    const region = $(away ? "announce-quiet" : "announce");
    if (text && region) region.textContent = text();
  }

  // Banners: kept for this tab's session until put away (or stale), so moving between
  // pages keeps them; never a reminder of a block I muted.
  const BANNERS = `porchlight.banners.${store.me.id}`;
  const shown = JSON.parse(sessionStorage.getItem(BANNERS) || "[]").filter((b) => new Date(b.until) > new Date());
  function banner(event) {
    const data = event.data;
    const them = store.partner();
    let text = "";
    let minutes = 60;
    if (event.kind === "reminder.fired") {
      if (store.muted.all || store.muted.blocks.includes(data.block.id)) return;
      const at = formatTime(data.starts_at, store.me.timezone);
      const block = blockName(data.block);
      text = data.reminder === "before"
        ? interpolate(gettext("Soon: %(block)s at %(time)s."), { block, time: at }, true)
        : interpolate(gettext("Now: %(block)s."), { block }, true);
    } else if (event.kind === "preview.due" && data.user === store.me.id) {
      text = gettext("Time to reconnect? You said you'd be back around now.");
      minutes = 30;
    } else if (event.kind === "ask.made" && event.actor !== store.me.id) {
      text = interpolate(
        gettext("%(name)s asks: “%(text)s” (answer on the Practice tab)"), { name: them?.display_name, text: data.ask.text }, true,
      );
    } else if (event.kind === "ask.answered" && data.to === store.me.id) {
      const answer = data.answer === "yes" ? gettext("yes to your ask.") : gettext("not now, and that's okay.");
      text = said(them?.display_name, answer);
    } else if (event.kind === "checkin.revealed") {
      text = gettext("You have both written this week's check-in: read it on the Practice tab.");
    }
    if (!text || shown.some((b) => b.seq === event.seq)) return;
    shown.push({ seq: event.seq, text, until: new Date(Date.now() + minutes * 60000).toISOString() });
    saveBanners();
  }
  function saveBanners() {
    sessionStorage.setItem(BANNERS, JSON.stringify(shown));
    renderBanners();
  }
  function renderBanners() {
    const area = $("banners");
    if (!area) return;
    area.replaceChildren(...shown.map((b) => {
      const item = document.createElement("p");
      item.className = "banner";
      item.dataset.seq = b.seq;
      const words = document.createElement("span");
      words.textContent = b.text;
      const close = document.createElement("button");
      close.type = "button";
      close.className = "close";
      close.textContent = "×";
      close.setAttribute("aria-label", gettext("Put it away"));
      close.addEventListener("click", () => {
        shown.splice(shown.indexOf(b), 1);
        saveBanners();
      });
      item.append(words, close);
      return item;
    }));
  }

  renderBanners();
  render();
  document.body.dataset.seq = String(store.seq);
  window.addEventListener("online", render);
  window.addEventListener("offline", render);
  // Start once the page's own module has taken its frames (it imports this one).
  queueMicrotask(() => live.start());
  return app;
}

// Why the server refused a change, in the reader's language.
export function reason(frame) {
  if (typeof frame.detail === "string") return frame.detail;
  const first = frame.detail && Object.values(frame.detail)[0];
  return Array.isArray(first) ? String(first[0]) : gettext("That did not go through.");
}

export const app = start?.couple && page !== "pair" ? createApp(start) : null;

// The parts of a server-rendered page marked data-live, fetched again and put in place
// (never one holding what the person is typing), for pages whose words come from the server.
const FIELDS = new Set(["INPUT", "TEXTAREA", "SELECT"]);
export async function refreshRegions() {
  let response;
  try {
    response = await fetch(location.href, { credentials: "same-origin" });
  } catch {
    return;
  }
  if (!response.ok || response.redirected) return;
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  for (const region of document.querySelectorAll("[data-live]")) {
    const typing = region.contains(document.activeElement) && FIELDS.has(document.activeElement.tagName);
    const next = fresh.getElementById(region.id);
    if (next && !typing) region.replaceWith(document.adoptNode(next));
  }
  document.dispatchEvent(new Event("regions"));
}
