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

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/", type: "classic" }).catch(() => {});
  // Nobody is logged in on the log-in and welcome pages: no earlier person's pages stay
  // for offline, nor their queued taps (logout's Clear-Site-Data does the same where it
  // is known).
  if (["login", "welcome"].includes(document.body.dataset.page)) {
    navigator.serviceWorker.controller?.postMessage("forget-pages");
    localStorage.clear();
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
