// The Lights page: my partner's light and the ways to answer it, my own three lights,
// then what else there is (the agreement, a gentle flag, the next-connection preview).
// State comes from the app's store; a change of mine looks pending until the server
// has it, and a refused one goes back to what the server has, saying why.
import { LIGHT_WORDS, NOTE_MAX, REPLIES, answerText, app, lastKnown, noteClean, presetWords, reason, said } from "./app.js";
import { api, boot, dayNumber, firstError, formatTime, formatWhen, newOpId, zonedMoment } from "./common.js";

const start = boot();
const { store, live } = app;
const me = store.me;
const $ = (id) => document.getElementById(id);

function renderLight(who) {
  const light = $("partner-light");
  const state = who.signal.state || "";
  // While I am out of reach only a red calls for me: another change arrives without the pulse.
  if (light.dataset.state !== state && (state === "red" || !outOfReach(store.mine()))) {
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
  const on = who.signal.since ?? who.signal.set_at; // when it came on: a note added later does not move it
  const today = on && new Date(on).toDateString() === new Date().toDateString();
  const since = on ? interpolate(gettext("since %(time)s"), { time: formatTime(on, me.timezone, !today) }, true) : "";
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
  message.textContent = presetWords(preview);
  if (name) message.prepend(Object.assign(document.createElement("span"), { className: "partner-preview-name", textContent: said(name, "") }));
  const parts = [];
  if (preview.expected_at) {
    parts.push(interpolate(gettext("back around %(time)s"), { time: formatWhen(preview.expected_at, me.timezone) }, true));
  }
  const sameTime = preview.expected_at && Math.abs(new Date(preview.unreachable_until) - new Date(preview.expected_at)) < 60000;
  if (preview.unreachable_until && sameTime) {
    parts.push(gettext("out of reach until then"));
  } else if (preview.unreachable_until) {
    parts.push(interpolate(gettext("out of reach until %(time)s"), { time: formatWhen(preview.unreachable_until, me.timezone) }, true));
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
    renderAway(them);
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
  renderBack(them, self);
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

// "Ana is back": a reunion ends the preview; for half an hour the partner sees it said
// and the one who came back sees it acknowledged (the snapshot's back_at: after a reload too).
const BACK_MINUTES = 30;
function backSince(who) {
  return who?.back_at && Date.now() - new Date(who.back_at) < BACK_MINUTES * 60000 ? who.back_at : null;
}
function renderBack(them, self) {
  const theirs = backSince(them);
  $("partner-back").hidden = !theirs;
  $("partner-back").textContent = theirs
    ? interpolate(gettext("%(name)s is back (%(time)s)."), { name: them.display_name, time: formatTime(theirs, me.timezone) }, true)
    : "";
  const mine = backSince(self);
  $("my-back").hidden = !mine || Boolean(self.preview);
  $("my-back").textContent = mine && them
    ? interpolate(gettext("Welcome back. %(name)s can see you're back (%(time)s)."), { name: them.display_name, time: formatTime(mine, me.timezone) }, true)
    : "";
}

// A partner out of reach: what that means, said plainly.
const outOfReach = (who) => who?.preview?.unreachable_until && new Date(who.preview.unreachable_until) > new Date()
  ? who.preview.unreachable_until : null;
function renderAway(them) {
  const until = outOfReach(them);
  $("partner-away").hidden = !until && !them.quiet_now;
  $("partner-away").textContent = until
    ? interpolate(gettext("%(name)s is out of reach until %(time)s: yellow and green wait for then, red gets through."), { name: them.display_name, time: formatWhen(until, me.timezone) }, true)
    : them.quiet_now
      ? interpolate(gettext("%(name)s has quiet hours now: only red gets through at once."), { name: them.display_name }, true)
      : "";
}

// My change settled: what reached the partner, when they are out of reach.
function sharedWords(state) {
  const them = store.partner();
  const until = outOfReach(them);
  if (!until && them?.quiet_now && state && state !== "red") {
    return interpolate(gettext("Shared. %(name)s has quiet hours now: they will see it later."), { name: them.display_name }, true);
  }
  if (!until || !state) return gettext("Shared.");
  const words = { name: them.display_name, time: formatWhen(until, me.timezone) };
  return state === "red"
    ? interpolate(gettext("Shared. %(name)s is out of reach, and red gets through: they have been told."), words, true)
    : interpolate(gettext("Shared. %(name)s is out of reach: they will see it from %(time)s."), words, true);
}

app.on((frame) => {
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
    status(noteWaiting() ? NOTE_WAITING : sharedWords(frame.data.state));
  } else if (frame.settled && frame.type === "ack") {
    status(sharedWords(store.mine().signal.state));
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

// A preset is sent as its key, so that the partner reads it in their own language;
// words typed in the field are the person's own and go instead.
const presets = $("presets");
let preset = null;
for (const p of start.presets) {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = p.message;
  button.setAttribute("aria-pressed", "false");
  button.addEventListener("click", () => {
    preset = preset === p.key ? null : p.key;
    for (const other of presets.children) other.setAttribute("aria-pressed", String(other === button && preset !== null));
    $("preview-message").placeholder = preset ? p.message : PLACEHOLDER;
    $("preview-time").focus();
  });
  presets.append(button);
}
const PLACEHOLDER = $("preview-message").placeholder;

// The days a plan can name: today, tomorrow, then each weekday with its date, up to two
// weeks ahead, in my time zone (the server's limit is PORCHLIGHT_PREVIEW_MAX_DAYS).
const PLAN_DAYS = 14;
function fillDays() {
  const select = $("preview-day");
  const today = dayNumber(new Date(), me.timezone);
  if (select.dataset.today === String(today)) return;
  select.dataset.today = String(today);
  const format = new Intl.DateTimeFormat(document.documentElement.lang, { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" });
  select.replaceChildren(...Array.from({ length: PLAN_DAYS }, (_, i) => {
    const label = i === 0 ? gettext("Today") : i === 1 ? gettext("Tomorrow") : format.format(new Date((today + i) * 86400000));
    return new Option(label, String(today + i));
  }));
}
fillDays();
$("preview-day").addEventListener("focus", fillDays);

function planned() {
  const value = $("preview-time").value;
  if (!value) return null;
  const [hours, minutes] = value.split(":").map(Number);
  return zonedMoment(Number($("preview-day").value), hours, minutes, me.timezone).toISOString();
}

$("preview-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = $("preview-error");
  error.hidden = true;
  const expected = planned();
  const message = noteClean($("preview-message").value);
  const body = { message, expected_at: expected, op_id: newOpId() };
  if (preset && !message) body.preset = preset;
  if ($("preview-unreachable").checked && expected) body.unreachable_until = expected;
  try {
    await api("POST", "/api/previews/", body);
    $("preview-message").value = "";
    preset = null;
    $("preview-message").placeholder = PLACEHOLDER;
    for (const button of presets.children) button.setAttribute("aria-pressed", "false");
  } catch (e) {
    error.textContent = navigator.onLine ? firstError(e) : gettext("You're offline. Post it again when you're back.");
    error.hidden = false;
  }
});

$("reunion").addEventListener("click", () => api("POST", "/api/reunion/", { op_id: newOpId() }).catch(() => {}));
$("preview-clear").addEventListener("click", () => api("DELETE", "/api/previews/").catch(() => {}));

// An answer chosen on a notification that the service worker could not send: offline,
// it waits in the outbox (same op_id); refused, the reason is said here.
function answerFromNotification() {
  const params = new URLSearchParams(location.search);
  const reply = params.get("answer");
  if (!reply || !REPLIES[reply]) return;
  history.replaceState(null, "", "/");
  const refused = params.get("refused");
  const them = store.partner();
  if (refused) {
    const why = refused === "changed"
      ? interpolate(gettext("%(name)s's light changed meanwhile."), { name: them?.display_name ?? "" }, true)
      : refused;
    const words = interpolate(gettext("Your answer “%(words)s” from the notification was not sent: %(why)s"), { words: REPLIES[reply].button, why }, true);
    if (!$("answer-form").hidden) $("answer-status").textContent = words;
    else status(words);
    return;
  }
  // Made against the light the notification showed, which this page may not have heard of yet.
  const sent = app.answer(reply, "", params.get("op") || undefined, params.get("since") || undefined);
  $("answer-status").textContent = sent.now ? gettext("Sending…") : gettext("Saved here; it will be sent when you're back online.");
}
answerFromNotification();

window.addEventListener("offline", render);
window.addEventListener("online", render);
setInterval(render, 5000); // "last known" appears a few seconds into a lost connection
render();
