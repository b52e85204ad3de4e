// The Lights page: my light, my partner's light, previews, the rhythm banner, flags.
import { api, boot, firstError, formatTime, newOpId } from "./common.js";
import { Live } from "./live.js";

const start = boot();
const me = start.me;
let couple = start.couple;
const $ = (id) => document.getElementById(id);
const WORDS = { green: gettext("Green"), yellow: gettext("Yellow"), red: gettext("Red") };
const IN_A_SENTENCE = { green: gettext("green"), yellow: gettext("yellow"), red: gettext("red") };

function partner() { return couple.partners.find((p) => !p.is_me); }
function mine() { return couple.partners.find((p) => p.is_me); }

// Applying an event to the snapshot gives the snapshot the server would send now.
function apply(event) {
  const data = event.data;
  const person = (id) => couple.partners.find((p) => p.id === id);
  switch (event.kind) {
    case "signal.changed": {
      // A note added to the same light keeps its answer; a new light starts without one.
      const who = person(data.user);
      const answer = data.previous === data.state ? who.signal.answer ?? null : null;
      who.signal = { state: data.state, note: data.note, set_at: data.set_at, answer };
      break;
    }
    case "signal.answered":
      if (person(data.to)) {
        const { reply, note, light_seq } = data;
        person(data.to).signal.answer = { by: event.actor, reply, note, at: event.at, light_seq };
      }
      break;
    case "preview.posted":
      person(data.user).preview = data.preview;
      break;
    case "preview.cleared":
    case "reunion":
      person(data.user).preview = null;
      break;
    case "flag.raised":
      couple.flag = data.flag;
      break;
    case "flag.dismissed":
      if (couple.flag?.id === data.flag) couple.flag = null;
      break;
    case "settings.changed":
      couple.settings = { ...couple.settings, ...data.changed };
      break;
    case "reminder.fired":
      if (data.reminder === "start") couple.rhythm_now = data;
      break;
    case "agreement.made":
      if (person(data.user)) person(data.user).agreed_at = event.at;
      break;
    case "partner.left":
      location.href = "/pair/";
      break;
  }
  couple.seq = event.seq;
}

function renderLight(who) {
  const light = $("partner-light");
  const state = who.signal.state || "";
  if (light.dataset.state !== state) {
    light.classList.remove("changed");
    void light.offsetWidth; // restart the pulse
    light.classList.add("changed");
  }
  light.dataset.state = state;
  $("partner-shape").setAttribute("href", state ? `#shape-${state}` : "");
  $("partner-word").textContent = state ? WORDS[state] : gettext("No light yet");
  $("partner-meaning").textContent = state ? start.meanings[state] : "";
  const note = $("partner-note");
  note.textContent = who.signal.note || "";
  note.hidden = !who.signal.note;
  const setAt = who.signal.set_at && new Date(who.signal.set_at);
  const today = setAt && setAt.toDateString() === new Date().toDateString();
  const since = setAt ? interpolate(gettext("since %(time)s"), { time: formatTime(who.signal.set_at, me.timezone, !today) }, true) : "";
  // Offline, say that this is the last known light, not the current one.
  const offline = !navigator.onLine;
  light.classList.toggle("stale", offline);
  $("partner-since").textContent = !offline ? since : since
    ? interpolate(gettext("Last known, %(since)s. You are offline."), { since }, true)
    : gettext("Last known. You are offline.");
}

const REPLIES = Object.fromEntries(start.replies.map((r) => [r.key, r]));
const answerText = (answer, name) =>
  `${name}: ${REPLIES[answer.reply].words}` + (answer.note ? ` ${interpolate(gettext("“%(text)s”"), { text: answer.note }, true)}` : "");

// My yellow or red, answered: said in words on the partner's card, on the first screen.
function renderMyAnswer(self, them) {
  const element = $("my-answer");
  const answer = self.signal.answer;
  element.hidden = !answer || !them;
  element.textContent = element.hidden ? "" : answerText(answer, them.display_name);
}

// Their yellow or red: the ways to answer it, and what I answered.
function renderAnswerForm(them) {
  const form = $("answer-form");
  form.hidden = !["yellow", "red"].includes(them.signal.state);
  if (form.hidden) {
    if (!answerPending) $("answer-status").textContent = "";
    return;
  }
  $("answer-h").textContent = interpolate(gettext("Answer %(name)s:"), { name: them.display_name }, true);
  // What I answered to this light shows as the pressed button.
  const mine = them.signal.answer?.by === me.id ? them.signal.answer : null;
  for (const button of form.querySelectorAll(".replies button")) {
    button.setAttribute("aria-pressed", String(button.dataset.reply === mine?.reply));
  }
}

function renderPreview(element, preview) {
  element.hidden = !preview;
  if (!preview) return;
  element.querySelector(".preview-message").textContent = preview.message;
  const parts = [];
  if (preview.expected_at) {
    parts.push(interpolate(gettext("back around %(time)s"), { time: formatTime(preview.expected_at, me.timezone, true) }, true));
  }
  if (preview.unreachable_until) {
    parts.push(interpolate(gettext("out of reach until %(time)s"), { time: formatTime(preview.unreachable_until, me.timezone) }, true));
  }
  element.querySelector(".preview-when").textContent = parts.join(" · ");
}

// The agreement both say "We agree" to; the lights work before, and it says who has not yet.
function renderAgreement(self, them) {
  const card = $("agreement");
  card.hidden = !them || Boolean(self.agreed_at && them.agreed_at);
  if (card.hidden) return;
  $("agree").hidden = Boolean(self.agreed_at);
  const name = { name: them.display_name };
  $("agreement-who").textContent = self.agreed_at
    ? interpolate(gettext("You agreed. Waiting for %(name)s."), name, true)
    : them.agreed_at
      ? interpolate(gettext("%(name)s has agreed."), name, true)
      : gettext("Neither of you has agreed yet; the lights work meanwhile.");
}

function renderRhythm() {
  const banner = $("rhythm-now");
  const now = couple.rhythm_now;
  const live = now && new Date(now.ends_at) > new Date();
  banner.hidden = !live;
  if (!live) return;
  const kind = now.block.kind === "connection" ? gettext("Connection time") : gettext("Autonomy time");
  const until = formatTime(now.ends_at, me.timezone);
  banner.textContent = interpolate(gettext("%(kind)s: %(block)s until %(until)s"), { kind, block: now.block.name, until }, true);
  clearTimeout(renderRhythm.timer);
  renderRhythm.timer = setTimeout(renderRhythm, new Date(now.ends_at) - new Date() + 500);
}

function render() {
  const them = partner();
  $("partner-name").textContent = them ? them.display_name : gettext("Your partner");
  if (them) {
    renderLight(them);
    renderAnswerForm(them);
    renderPreview($("partner-preview"), them.preview);
    renderBack(them);
  }
  const self = mine();
  for (const button of document.querySelectorAll(".light-btn")) {
    button.setAttribute("aria-pressed", String(button.dataset.state === self.signal.state));
  }
  $("my-meaning").textContent = self.signal.state ? start.meanings[self.signal.state] : gettext("Tap a light to share how you are.");
  renderMyAnswer(self, them);
  renderAgreement(self, them);
  renderPreview($("my-preview"), self.preview);
  $("preview-form").hidden = Boolean(self.preview);
  const flag = $("flag");
  flag.hidden = !couple.flag;
  if (couple.flag) {
    $("flag-message").textContent = start.flag_words.message;
    $("flag-suggestion").textContent = start.flag_words.suggestion;
  }
  renderRhythm();
}

function announce(event) {
  const them = partner();
  if (!them || event.actor !== them.id) return;
  const text = {
    "signal.changed": () => interpolate(
      gettext("%(name)s's light is now %(light)s. %(meaning)s"),
      { name: them.display_name, light: IN_A_SENTENCE[event.data.state], meaning: start.meanings[event.data.state] },
      true,
    ),
    "preview.posted": () => `${them.display_name}: ${event.data.preview.message}`,
    reunion: () => interpolate(gettext("%(name)s is back."), { name: them.display_name }, true),
    "signal.answered": () => answerText(event.data, them.display_name),
  }[event.kind];
  if (text) $("announce").textContent = text();
}

const status = (text) => { $("my-status").textContent = text; };

// A reminder and a "time to reconnect?" nudge show here too, not only as a push.
function notice(event) {
  const data = event.data;
  let text = "";
  if (event.kind === "reminder.fired") {
    const at = formatTime(data.starts_at, me.timezone);
    const block = data.block.name;
    text = data.reminder === "before"
      ? interpolate(gettext("Soon: %(block)s at %(time)s."), { block, time: at }, true)
      : interpolate(gettext("Now: %(block)s."), { block }, true);
  } else if (event.kind === "preview.due" && data.user === me.id) {
    text = gettext("Time to reconnect? You said you'd be back around now.");
  } else if (event.kind === "ask.made" && event.actor !== me.id) {
    text = interpolate(
      gettext("%(name)s asks: “%(text)s” (answer on the Practice tab)"), { name: partner()?.display_name, text: data.ask.text }, true,
    );
  } else if (event.kind === "ask.answered" && data.to === me.id) {
    const answer = data.answer === "yes" ? gettext("yes to your ask.") : gettext("not now, and that's okay.");
    text = `${partner()?.display_name}: ${answer}`;
  } else if (event.kind === "checkin.revealed") {
    text = gettext("You have both written this week's check-in: read it on the Practice tab.");
  }
  if (!text) return;
  $("notice").textContent = text;
  $("notice").hidden = false;
}

// "Ana is back": a reunion ends the preview, and the partner sees it said, for a while.
const BACK_MINUTES = 30;
let partnerBackAt = null;
function noteReunion(event) {
  if (event.kind === "reunion" && event.actor !== me.id) partnerBackAt = new Date(event.at);
  if (event.kind === "preview.posted" && event.actor !== me.id) partnerBackAt = null;
}
function renderBack(who) {
  const back = $("partner-back");
  back.hidden = !partnerBackAt || Date.now() - partnerBackAt > BACK_MINUTES * 60000;
  if (back.hidden) {
    back.textContent = "";
    return;
  }
  const time = formatTime(partnerBackAt.toISOString(), me.timezone);
  back.textContent = interpolate(gettext("%(name)s is back (%(time)s)."), { name: who.display_name, time }, true);
}

const live = new Live({
  userId: me.id,
  coupleId: couple.id,
  seq: couple.seq,
  onFrame(frame) {
    if (frame.type === "snapshot") couple = frame.couple;
    else if (frame.type === "event") { apply(frame); announce(frame); noteReunion(frame); notice(frame); }
    if (frame.op_id && frame.op_id === answerPending) answerSettled(frame);
    else if (frame.type === "error") status(typeof frame.detail === "string" ? frame.detail : gettext("That did not go through."));
    else if (frame.settled) status(noteWaiting() ? NOTE_WAITING : gettext("Shared.")); // my tap's own event (or its ack)
    document.body.dataset.seq = String(live.seq); // what this page has seen, for tests and debugging
    render();
  },
});

// A note typed after a tap must never sit unsent while the page says "Shared.".
const NOTE_WAITING = gettext("Your note is not sent yet: press Send note, or tap a light.");
const noteWaiting = () => $("note").value.trim() !== "";

function share(state) {
  const note = $("note").value.trim();
  const self = mine();
  // Show it at once; the server's event confirms it (or a snapshot corrects it).
  const answer = self.signal.state === state ? self.signal.answer : null; // a note keeps it
  self.signal = { state, note, set_at: new Date().toISOString(), answer };
  render();
  const sent = live.send({ type: "signal.set", state, note });
  $("note").value = "";
  status(sent.now ? gettext("Sharing…") : gettext("Saved here; it will be shared when you're back online."));
}

for (const button of document.querySelectorAll(".light-btn")) {
  button.addEventListener("click", () => share(button.dataset.state));
}

// Enter or "Send note": the note goes as an update of my current light.
$("note-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (!noteWaiting()) return;
  const state = mine().signal.state;
  if (!state) {
    status(gettext("Pick a light first: your note goes with it."));
    return;
  }
  share(state);
});
$("note").addEventListener("input", () => { if (noteWaiting()) status(NOTE_WAITING); });

// Answering their light: a preset, with the words typed beside it if any.
let answerPending = null;
function answerSettled(frame) {
  answerPending = null;
  if (frame.type === "error") {
    $("answer-status").textContent = typeof frame.detail === "string" ? frame.detail : gettext("That did not go through.");
  } else {
    const words = REPLIES[frame.data?.reply]?.words; // an ack (a retry) carries no data
    $("answer-status").textContent = words ? interpolate(gettext("Sent: %(words)s"), { words }, true) : gettext("Sent.");
  }
}
for (const reply of start.replies) {
  const button = document.createElement("button");
  button.type = "button";
  button.dataset.reply = reply.key;
  button.textContent = reply.button;
  button.addEventListener("click", () => {
    const sent = live.send({ type: "signal.answer", reply: reply.key, note: $("answer-note").value.trim() });
    answerPending = sent.op_id;
    $("answer-note").value = "";
    $("answer-status").textContent = sent.now ? gettext("Sending…") : gettext("Saved here; it will be sent when you're back online.");
  });
  $("replies").append(button);
}
$("answer-form").addEventListener("submit", (event) => event.preventDefault());

for (const state of ["green", "yellow", "red"]) {
  const item = document.createElement("li");
  const name = document.createElement("b");
  name.textContent = WORDS[state];
  item.append(name, interpolate(gettext(": %(meaning)s"), { meaning: start.meanings[state] }, true));
  $("agreement-lights").append(item);
}
$("agree").addEventListener("click", async () => {
  try {
    await api("POST", "/api/couple/agree/");
  } catch (e) {
    $("agreement-who").textContent = navigator.onLine ? firstError(e) : gettext("You're offline. Try again when you're back.");
  }
});

$("flag-dismiss").addEventListener("click", async () => {
  if (!couple.flag) return;
  await api("POST", `/api/flags/${couple.flag.id}/dismiss/`).catch(() => {});
});

const presets = $("presets");
for (const preset of start.presets) {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = preset.message;
  button.addEventListener("click", () => { $("preview-message").value = preset.message; $("preview-time").focus(); });
  presets.append(button);
}

function nextTime(value) {
  if (!value) return null;
  const [hours, minutes] = value.split(":").map(Number);
  const when = new Date();
  when.setHours(hours, minutes, 0, 0);
  if (when <= new Date()) when.setDate(when.getDate() + 1);
  return when.toISOString();
}

$("preview-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = $("preview-error");
  error.hidden = true;
  const expected = nextTime($("preview-time").value);
  const body = { message: $("preview-message").value, expected_at: expected, op_id: newOpId() };
  if ($("preview-unreachable").checked && expected) body.unreachable_until = expected;
  try {
    await api("POST", "/api/previews/", body);
    $("preview-message").value = "";
  } catch (e) {
    error.textContent = navigator.onLine ? firstError(e) : gettext("You're offline. Post it again when you're back.");
    error.hidden = false;
  }
});

$("reunion").addEventListener("click", () => api("POST", "/api/reunion/", { op_id: newOpId() }).catch(() => {}));
$("preview-clear").addEventListener("click", () => api("DELETE", "/api/previews/").catch(() => {}));

window.addEventListener("offline", render);
window.addEventListener("online", render);
render();
document.body.dataset.seq = String(couple.seq);
live.start();
