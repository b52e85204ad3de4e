// Practice: the private self-assessment (its result shown where it was taken), sharing a
// result with the partner after seeing what they will see; the practices, a 4-7-8
// breathing guide and the private journal; small asks and the weekly check-in, which
// come in live from the partner (the parts marked data-live are fetched again).
import { app, refreshRegions } from "./app.js";
import { api, firstError } from "./common.js";

const LIVE = ["ask.made", "ask.answered", "checkin.revealed", "assessment.shared"];
app?.on((frame) => {
  if (frame.type === "event" && LIVE.includes(frame.kind)) refreshRegions();
});

const $ = (id) => document.getElementById(id);
const WORDS = JSON.parse($("result-words-data").textContent);

// The result appears under the button that was tapped, in words and "of 5".
$("assessment-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const answers = {};
  for (const input of form.querySelectorAll("input[type=radio]:checked")) answers[input.name] = Number(input.value);
  const error = $("assessment-error");
  error.hidden = true;
  try {
    const result = await api("POST", "/api/me/assessment/", { answers });
    const means = { dependence: result.dependence.toFixed(1), independence: result.independence.toFixed(1) };
    $("result-words").textContent = WORDS.patterns[result.pattern].words;
    $("result-means").textContent = interpolate(WORDS.means, means, true);
    $("assessment-result").hidden = false;
    $("assessment-result").focus();
    refreshRegions(); // the list of results and its trend, at the top
  } catch (e) {
    error.textContent = e.body?.errors ? gettext("Please answer every item, from 1 to 5.") : firstError(e);
    error.hidden = false;
  }
});

// Sharing, after seeing exactly what the partner will see; or taking a share back.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.share");
  if (!button) return;
  try {
    await api("PATCH", `/api/me/assessment/${button.dataset.id}/`, { shared: button.dataset.shared !== "true" });
    await refreshRegions();
  } catch (e) {
    $("share-status").textContent = firstError(e);
  }
});

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

// The journal: private to this person. Each form says how it went beside itself.
async function log(body, statusId) {
  try {
    await api("POST", "/api/me/journal/", body);
    $(statusId).textContent = gettext("Logged. Only you see it, in your journal below.");
    await refreshRegions();
    return true;
  } catch (e) {
    $(statusId).textContent = firstError(e);
    return false;
  }
}
$("alone-form").addEventListener("submit", (event) => {
  event.preventDefault();
  log({ kind: "alone_time", minutes: Number($("alone-minutes").value) }, "alone-status");
});
$("anxiety-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = { kind: "anxiety", intensity_before: Number($("anxiety-before").value), trigger: $("anxiety-trigger").value };
  if ($("anxiety-after").value !== "") body.intensity_after = Number($("anxiety-after").value);
  if (await log(body, "anxiety-status")) event.target.reset();
});

// This week's small steps, marked done privately.
for (const box of document.querySelectorAll("input[data-step]")) {
  box.addEventListener("change", async () => {
    try {
      await api("PUT", `/api/me/practices/steps/${box.dataset.step}/`, { done: box.checked });
      $("steps-status").textContent = box.checked ? gettext("Marked done. Well done.") : gettext("Unmarked.");
    } catch (e) {
      box.checked = !box.checked;
      $("steps-status").textContent = firstError(e);
    }
  });
}

// 4-7-8 breathing: in for 4, hold for 7, out for 8, four rounds. The step is said once
// (for a screen reader) and counted on screen; the circle moves only without reduced motion.
const PHASES = [
  { name: "in", seconds: 4, words: gettext("Breathe in through your nose") },
  { name: "hold", seconds: 7, words: gettext("Hold your breath") },
  { name: "out", seconds: 8, words: gettext("Breathe out slowly through your mouth") },
];
const ROUNDS = 4;
let breathing = null;
function breatheStop(words) {
  clearTimeout(breathing);
  breathing = null;
  $("breath-circle").dataset.phase = "";
  $("breath-count").textContent = "";
  $("breath-step").textContent = words;
  $("breathe-start").hidden = false;
  $("breathe-stop").hidden = true;
}
function breathe(round, phase, left) {
  const step = PHASES[phase];
  if (left === step.seconds) {
    $("breath-circle").dataset.phase = step.name;
    $("breath-step").textContent = interpolate(gettext("%(step)s (round %(round)s of %(rounds)s)"), { step: step.words, round: round + 1, rounds: ROUNDS }, true);
  }
  $("breath-count").textContent = String(left);
  breathing = setTimeout(() => {
    if (left > 1) return breathe(round, phase, left - 1);
    if (phase < PHASES.length - 1) return breathe(round, phase + 1, PHASES[phase + 1].seconds);
    if (round < ROUNDS - 1) return breathe(round + 1, 0, PHASES[0].seconds);
    breatheStop(gettext("Done. Notice how you feel now."));
  }, 1000);
}
$("breathe-start").addEventListener("click", () => {
  $("breathe-start").hidden = true;
  $("breathe-stop").hidden = false;
  breathe(0, 0, PHASES[0].seconds);
});
$("breathe-stop").addEventListener("click", () => breatheStop(gettext("Stopped.")));

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
    log({ kind: "alone_time", minutes }, "alone-status");
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
    $("self-care-status").textContent = gettext("Your list is saved.");
  } catch (e) {
    $("self-care-status").textContent = firstError(e);
  }
});

// Something tender: sent as a note with a yellow light, or kept (never sent).
$("tender-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!$("tender-send")) return;
  try {
    await api("POST", "/api/signal/", { state: "yellow", note: $("tender").value });
    $("tender").value = "";
    $("tender-status").textContent = gettext("Sent with a yellow light. That took courage.");
  } catch (e) {
    $("tender-status").textContent = firstError(e);
  }
});
$("tender-keep").addEventListener("click", () => {
  $("tender").value = "";
  $("tender-status").textContent = gettext("Kept to yourself: nothing was sent or saved.");
});
