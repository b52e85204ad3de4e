// The Lights page: my partner's light and the ways to answer it, my own three lights,
// then what else there is (the agreement, a gentle flag, the next-connection preview).
// State comes from the app's store; a change of mine looks pending until the server
// has it, and a refused one goes back to what the server has, saying why.
import { LIGHT_WORDS, NOTE_MAX, REPLIES, answerText, app, lastKnown, noteClean, reason } from "./app.js";
import { api, boot, firstError, formatTime, newOpId } from "./common.js";

const start = boot();
const { store, live } = app;
const me = store.me;
const $ = (id) => document.getElementById(id);

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
  $("partner-word").textContent = state ? LIGHT_WORDS[state] : gettext("No light yet");
  // What the light means, when no words of theirs say it already.
  $("partner-meaning").textContent = state ? start.meanings[state] : "";
  $("partner-meaning").hidden = !state || Boolean(who.signal.note);
  const note = $("partner-note");
  note.textContent = who.signal.note || "";
  note.hidden = !who.signal.note;
  const setAt = who.signal.set_at && new Date(who.signal.set_at);
  const today = setAt && setAt.toDateString() === new Date().toDateString();
  const since = setAt ? interpolate(gettext("since %(time)s"), { time: formatTime(who.signal.set_at, me.timezone, !today) }, true) : "";
  const stale = lastKnown(store, live);
  light.classList.toggle("stale", Boolean(stale));
  $("partner-since").textContent = stale ? `${stale} ${since}`.trim() : since;
}

// Their yellow or red: the ways to answer it, and what I answered.
function renderAnswerForm(them) {
  const form = $("answer-form");
  form.hidden = !["yellow", "red"].includes(them.signal.state);
  if (form.hidden) return;
  $("answer-h").textContent = interpolate(gettext("Answer %(name)s:"), { name: them.display_name }, true);
  const mine = them.signal.answer?.by === me.id ? them.signal.answer : null;
  const pending = live.pending("signal.answer").at(-1);
  for (const button of form.querySelectorAll(".replies button")) {
    button.setAttribute("aria-pressed", String(button.dataset.reply === (pending?.reply ?? mine?.reply)));
    button.classList.toggle("pending", button.dataset.reply === pending?.reply);
  }
}

function renderPreview(element, preview, name) {
  element.hidden = !preview;
  if (!preview) return;
  const message = element.querySelector(".preview-message");
  message.textContent = preview.message;
  if (name) message.prepend(Object.assign(document.createElement("span"), { className: "partner-preview-name", textContent: `${name}: ` }));
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

let rhythmPutAway = null;
function renderRhythm() {
  const banner = $("rhythm-now");
  const now = store.couple.rhythm_now;
  const underWay = now && new Date(now.ends_at) > new Date() && rhythmPutAway !== now.starts_at;
  banner.hidden = !underWay;
  if (!underWay) return;
  const kind = now.block.kind === "connection" ? gettext("Connection time") : gettext("Autonomy time");
  const until = formatTime(now.ends_at, me.timezone);
  $("rhythm-now-words").textContent = interpolate(gettext("%(kind)s: %(block)s until %(until)s"), { kind, block: now.block.name, until }, true);
  clearTimeout(renderRhythm.timer);
  renderRhythm.timer = setTimeout(render, new Date(now.ends_at) - new Date() + 500);
}
$("rhythm-now-close").addEventListener("click", () => {
  rhythmPutAway = store.couple.rhythm_now?.starts_at ?? null;
  render();
});

// My light as it will be: a tap not yet done shows pending over the server's state.
function render() {
  const them = store.partner();
  $("partner-name").textContent = them ? them.display_name : gettext("Your partner");
  if (them) {
    renderLight(them);
    renderAnswerForm(them);
    renderPreview($("partner-preview"), them.preview, them.display_name);
    renderBack(them);
  }
  const self = store.mine();
  const tap = live.pending("signal.set").at(-1);
  const state = tap?.state ?? self.signal.state;
  for (const button of document.querySelectorAll(".light-btn")) {
    button.setAttribute("aria-pressed", String(button.dataset.state === state));
    button.classList.toggle("pending", button.dataset.state === tap?.state);
  }
  $("my-meaning").textContent = state ? start.meanings[state] : gettext("Tap a light to share how you are.");
  const note = tap ? tap.note : self.signal.note;
  $("my-note").hidden = !note;
  $("my-note").textContent = note ? interpolate(gettext("Your note: “%(text)s”"), { text: note }, true) : "";
  const answer = self.signal.answer;
  $("my-answer").hidden = !answer || !them;
  $("my-answer").textContent = $("my-answer").hidden ? "" : answerText(answer, them.display_name);
  renderAgreement(self, them);
  renderPreview($("my-preview"), self.preview);
  $("preview-form").hidden = Boolean(self.preview);
  const flag = $("flag");
  flag.hidden = !store.couple.flag;
  if (store.couple.flag) {
    $("flag-message").textContent = start.flag_words.message;
    $("flag-suggestion").textContent = start.flag_words.suggestion;
  }
  renderRhythm();
}

const status = (text) => { $("my-status").textContent = text; };

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

app.on((frame) => {
  if (frame.type === "event") noteReunion(frame);
  if (frame.type === "error" && frame.refused?.type === "signal.set") {
    // Refused: the lights go back to what the server has, the note back in its field.
    status(interpolate(gettext("Not shared: %(why)s"), { why: reason(frame) }, true));
    if (!$("note").value) $("note").value = frame.refused.note || "";
  } else if (frame.type === "error" && frame.refused?.type === "signal.answer") {
    $("answer-status").textContent = interpolate(gettext("Not sent: %(why)s"), { why: reason(frame) }, true);
  } else if (frame.type === "error" && !frame.refused) {
    status(reason(frame));
  } else if (frame.type === "dropped" && frame.message.type === "signal.set") {
    status(frame.why);
  } else if (frame.type === "dropped" && frame.message.type === "signal.answer") {
    $("answer-status").textContent = frame.why;
  } else if (frame.settled && frame.kind === "signal.changed") {
    status(noteWaiting() ? NOTE_WAITING : gettext("Shared."));
  } else if (frame.settled && frame.type === "ack") {
    status(gettext("Shared."));
  } else if (frame.settled && frame.kind === "signal.answered") {
    const words = REPLIES[frame.data.reply]?.words;
    $("answer-status").textContent = interpolate(gettext("Sent: %(words)s"), { words }, true);
  }
  render();
});

// A note typed after a tap must never sit unsent while the page says "Shared.".
const NOTE_WAITING = gettext("Your note is not sent yet: press Send note, or tap a light.");
const noteWaiting = () => $("note").value.trim() !== "";

function share(state) {
  const note = noteClean($("note").value);
  if (note.length > NOTE_MAX) {
    status(interpolate(gettext("Please keep the note to %(n)s characters."), { n: NOTE_MAX }, true));
    return;
  }
  const sent = live.send({ type: "signal.set", state, note });
  $("note").value = "";
  status(sent.now ? gettext("Sharing…") : gettext("Saved here; it will be shared when you're back online."));
  render();
}

for (const button of document.querySelectorAll(".light-btn")) {
  button.addEventListener("click", () => share(button.dataset.state));
}

// Enter or "Send note": the note goes as an update of my current light.
$("note-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (!noteWaiting()) return;
  const state = live.pending("signal.set").at(-1)?.state ?? store.mine().signal.state;
  if (!state) {
    status(gettext("Pick a light first: your note goes with it."));
    return;
  }
  share(state);
});
$("note").addEventListener("input", () => { if (noteWaiting()) status(NOTE_WAITING); });

// Answering their light: a preset, with the words typed beside it if any.
for (const reply of start.replies) {
  const button = document.createElement("button");
  button.type = "button";
  button.dataset.reply = reply.key;
  button.textContent = reply.button;
  button.addEventListener("click", () => {
    const sent = app.answer(reply.key, $("answer-note").value);
    $("answer-note").value = "";
    $("answer-words").open = false;
    $("answer-status").textContent = sent.now ? gettext("Sending…") : gettext("Saved here; it will be sent when you're back online.");
    render();
  });
  $("replies").append(button);
}
$("answer-form").addEventListener("submit", (event) => event.preventDefault());

for (const state of ["green", "yellow", "red"]) {
  const item = document.createElement("li");
  const name = document.createElement("b");
  name.textContent = LIGHT_WORDS[state];
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
  if (!store.couple.flag) return;
  await api("POST", `/api/flags/${store.couple.flag.id}/dismiss/`).catch(() => {});
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
  const body = { message: noteClean($("preview-message").value), expected_at: expected, op_id: newOpId() };
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
setInterval(render, 5000); // "last known" appears a few seconds into a lost connection
render();
