// Shared helpers: the JSON API with the CSRF token, the network badge, the service worker.
// Words go through Django's JavaScript catalogue (gettext, ngettext, interpolate), which
// the page loads before the modules, in the reader's language.

export function csrfToken() {
  const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.detail || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// The first message of a 400, for a person to read.
export function firstError(error) {
  const errors = error?.body?.errors;
  if (errors) {
    const first = Object.values(errors)[0];
    return Array.isArray(first) ? String(first[0]) : String(first);
  }
  return error?.body?.detail || gettext("Something went wrong. Please try again.");
}

export function newOpId() {
  return (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`).replace(/[^A-Za-z0-9-]/g, "");
}

const NET_WORDS = { offline: gettext("Offline"), connecting: gettext("Connecting…"), online: "" };

// The badge says the truth: offline, (re)connecting, or nothing when all is well.
export function showNet(state) {
  const badge = document.getElementById("net");
  if (!badge) return;
  badge.dataset.state = state;
  badge.textContent = NET_WORDS[state] ?? "";
  badge.hidden = !badge.textContent;
}

export function boot() {
  const script = document.getElementById("boot");
  return script ? JSON.parse(script.textContent) : null;
}

// A time in the reader's time zone and language (the page's lang, the person's own).
export function formatTime(iso, timeZone, withDay = false) {
  const options = { hour: "2-digit", minute: "2-digit", timeZone };
  if (withDay) options.weekday = "short";
  return new Intl.DateTimeFormat(document.documentElement.lang, options).format(new Date(iso));
}

// A day and time, as a person reads a plan: "today 19:00", "tomorrow 19:00", or the
// weekday and date ("Fri 11 Dec, 19:00"), in the reader's language and time zone.
export function formatWhen(iso, timeZone) {
  const time = formatTime(iso, timeZone);
  const days = dayNumber(new Date(iso), timeZone) - dayNumber(new Date(), timeZone);
  if (days === 0) return interpolate(gettext("today %(time)s"), { time }, true);
  if (days === 1) return interpolate(gettext("tomorrow %(time)s"), { time }, true);
  const options = { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone };
  return new Intl.DateTimeFormat(document.documentElement.lang, options).format(new Date(iso));
}

// The calendar day (days since 1970) a moment falls on in a time zone.
export function dayNumber(date, timeZone) {
  const [y, m, d] = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(date).split("-").map(Number);
  return Date.UTC(y, m - 1, d) / 86400000;
}

// The moment a wall-clock time on a calendar day (days since 1970) is in a time zone:
// the offset is read at the guess and once more, which settles DST changes.
export function zonedMoment(day, hours, minutes, timeZone) {
  const wall = day * 86400000 + (hours * 60 + minutes) * 60000;
  const offset = (at) => {
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
      timeZone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric",
    }).formatToParts(new Date(at)).map((p) => [p.type, Number(p.value)]));
    return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute) - Math.floor(at / 60000) * 60000;
  };
  let at = wall - offset(wall);
  at = wall - offset(at);
  return new Date(at);
}

// The name of a rhythm block: the app's own words for a block it named (Block.key).
const BLOCK_NAMES = { checkin: gettext("Weekly check-in") };
export const blockName = (block) => BLOCK_NAMES[block.key] ?? block.name;

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/", type: "classic" }).catch(() => {});
  // Nobody is logged in on the log-in and welcome pages: no earlier person's pages stay
  // for offline, nor their queued taps (logout's Clear-Site-Data does the same where it
  // is known).
  if (["login", "welcome"].includes(document.body.dataset.page)) {
    navigator.serviceWorker.controller?.postMessage("forget-pages");
    localStorage.clear();
  } else if (csrfToken()) {
    // The worker answers from a notification with the person's session: it needs the
    // CSRF token, which only a page can read.
    navigator.serviceWorker.ready.then((r) => r.active?.postMessage({ type: "csrf", token: csrfToken() })).catch(() => {});
  }
}
window.addEventListener("offline", () => showNet("offline"));
window.addEventListener("online", () => showNet(document.body.dataset.page === "home" ? "connecting" : "online"));
if (!navigator.onLine) showNet("offline");

// Sign-up: start from this phone's time zone rather than UTC.
const tz = document.getElementById("id_timezone");
if (tz && tz.value === "UTC") {
  try { tz.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch { /* keep UTC */ }
}
