// Practice: the private self-assessment, and sharing a result with the partner; small
// asks and the weekly check-in, which come in live from the partner (the parts marked
// data-live are fetched again when one of theirs arrives).
import { app, refreshRegions } from "./app.js";
import { api, firstError } from "./common.js";

const LIVE = ["ask.made", "ask.answered", "checkin.revealed", "assessment.shared"];
app?.on((frame) => {
  if (frame.type === "event" && LIVE.includes(frame.kind)) refreshRegions();
});

const $ = (id) => document.getElementById(id);

$("assessment-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const answers = {};
  for (const input of form.querySelectorAll("input[type=radio]:checked")) answers[input.name] = Number(input.value);
  const error = $("assessment-error");
  error.hidden = true;
  try {
    await api("POST", "/api/me/assessment/", { answers });
    location.reload(); // the result, its words and the trend come from the page
  } catch (e) {
    error.textContent = e.body ? gettext("Please answer every item, from 1 to 5.") : firstError(e);
    error.hidden = false;
  }
});

for (const button of document.querySelectorAll("button.share")) {
  button.addEventListener("click", async () => {
    const shared = button.getAttribute("aria-pressed") !== "true";
    try {
      await api("PATCH", `/api/me/assessment/${button.dataset.id}/`, { shared });
      location.reload();
    } catch (e) {
      $("share-status").textContent = firstError(e);
    }
  });
}

// Small asks: ask, or answer the partner's open one.
$("ask-form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await api("POST", "/api/asks/", { text: $("ask-text").value });
    location.reload();
  } catch (e) {
    $("ask-status").textContent = firstError(e);
  }
});
// On the document: the list is put in place again when the partner asks or answers.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.ask-answer");
  if (!button) return;
  const id = button.closest("li").dataset.ask;
  try {
    await api("POST", `/api/asks/${id}/answer/`, { answer: button.dataset.answer });
    location.reload();
  } catch (e) {
    $("ask-status").textContent = firstError(e);
  }
});

// The journal: private to this person.
async function log(body) {
  try {
    await api("POST", "/api/me/journal/", body);
    location.reload();
  } catch (e) {
    $("journal-status").textContent = firstError(e);
  }
}
$("alone-form").addEventListener("submit", (event) => {
  event.preventDefault();
  log({ kind: "alone_time", minutes: Number($("alone-minutes").value) });
});
$("anxiety-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const after = $("anxiety-after").value;
  log({
    kind: "anxiety",
    intensity_before: Number($("anxiety-before").value),
    intensity_after: after === "" ? null : Number(after),
    trigger: $("anxiety-trigger").value,
  });
});

// The weekly check-in, and its reminder: a rhythm block the scheduler reminds at its start.
document.addEventListener("submit", async (event) => {
  if (event.target.id !== "checkin-form") return;
  event.preventDefault();
  try {
    await api("POST", "/api/checkins/", {
      week: event.target.dataset.week,
      appreciation: $("checkin-appreciation").value,
      need: $("checkin-need").value,
    });
    location.reload();
  } catch (e) {
    $("checkin-status").textContent = firstError(e);
  }
});
document.addEventListener("submit", async (event) => {
  if (event.target.id !== "checkin-remind") return;
  event.preventDefault();
  try {
    await api("POST", "/api/rhythm/blocks/", {
      kind: "connection",
      name: gettext("Weekly check-in"),
      key: "checkin", // each of us reads its name in our own language
      days: [Number($("checkin-day").value)],
      start: $("checkin-time").value,
      minutes: 20,
    });
    location.reload();
  } catch (e) {
    $("checkin-status").textContent = firstError(e);
  }
});

// Ten minutes alone, timed here; logged when they are up.
let timer = null;
$("timer-start").addEventListener("click", () => {
  if (timer) return;
  const minutes = Number($("timer-start").dataset.minutes);
  const ends = Date.now() + minutes * 60000;
  const shown = $("timer");
  shown.hidden = false;
  $("timer-start").disabled = true;
  const tick = () => {
    const left = Math.max(0, ends - Date.now());
    const clock = `${Math.floor(left / 60000)}:${String(Math.floor((left % 60000) / 1000)).padStart(2, "0")}`;
    shown.textContent = interpolate(gettext("%(clock)s left"), { clock }, true);
    if (left > 0) return;
    clearInterval(timer);
    shown.textContent = gettext("Done. Well done.");
    log({ kind: "alone_time", minutes });
  };
  tick();
  timer = setInterval(tick, 1000);
});

// The self-care list: one thing a line.
$("self-care-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const items = $("self-care").value.split("\n").map((line) => line.trim()).filter(Boolean);
  try {
    await api("PUT", "/api/me/practices/self-care/", { items });
    $("journal-status").textContent = gettext("Your list is saved.");
  } catch (e) {
    $("journal-status").textContent = firstError(e);
  }
});

// Something tender: sent as a note with a yellow light, or kept (never sent).
$("tender-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await api("POST", "/api/signal/", { state: "yellow", note: $("tender").value });
    $("tender").value = "";
    $("journal-status").textContent = gettext("Sent with a yellow light. That took courage.");
  } catch (e) {
    $("journal-status").textContent = firstError(e);
  }
});
$("tender-keep").addEventListener("click", () => {
  $("tender").value = "";
  $("journal-status").textContent = gettext("Kept to yourself: nothing was sent or saved.");
});
