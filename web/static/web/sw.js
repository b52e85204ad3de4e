// Porchlight's service worker: the app shell offline, and notifications when closed.
// The server names the cache for the files it holds (web.pages.app.service_worker_script).
const VERSION = "porchlight-dev";
const SHELL = [
  "/offline/",
  "/static/web/app.css",
  "/static/web/common.js",
  "/static/web/live.js",
  "/static/web/store.js",
  "/static/web/app.js",
  "/static/web/home.js",
  "/static/web/icon.svg",
  "/static/web/icon-192.png",
];

// Files that are the same for everyone: the app's static files and its words, one
// catalogue per language (/jsi18n/<language>.js).
const shared = (pathname) => pathname.startsWith("/static/") || pathname.startsWith("/jsi18n/");

function forgetPages() {
  return caches.open(VERSION).then((cache) => cache.keys().then((requests) => Promise.all(
    requests
      .filter((r) => !SHELL.includes(new URL(r.url).pathname) && !shared(new URL(r.url).pathname))
      .map((r) => cache.delete(r)),
  )));
}

self.addEventListener("message", (event) => {
  if (event.data === "forget-pages") event.waitUntil(forgetPages().then(() => caches.delete(META)));
  if (event.data?.type === "csrf") {
    event.waitUntil(caches.open(META).then((cache) => cache.put("/__csrf", new Response(event.data.token))));
  }
});

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(VERSION).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== VERSION && k !== META).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate") {
    // Pages: the network first (they carry fresh state); offline, the last copy seen.
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok && !response.redirected) {
            const copy = response.clone();
            caches.open(VERSION).then((cache) => cache.put(request, copy));
          } else if (response.redirected && new URL(response.url).pathname === "/accounts/login/") {
            // Logged out (here, or the session ended elsewhere): no page of that person
            // stays to be shown offline. Logout's Clear-Site-Data does this too, where
            // the browser knows the header.
            forgetPages();
          }
          return response;
        })
        // A page opened with a query (an answer from a notification) is the same page.
        .catch(() => caches.match(request, { ignoreSearch: true }).then((hit) => hit || caches.match("/offline/"))),
    );
    return;
  }
  if (shared(url.pathname)) {
    event.respondWith(
      caches.match(request).then((hit) => hit || fetch(request).then((response) => {
        const copy = response.clone();
        caches.open(VERSION).then((cache) => cache.put(request, copy));
        return response;
      })),
    );
  }
});

// Notifications (docs/api.md, "Push payloads"): one per partner, tagged, always the
// newest; a yellow's or a red's offers the answers as actions, sent from here.
const REPLIES = ["coming", "call_soon", "seen", "later"];
const META = "porchlight-meta"; // what the pages tell the worker: the CSRF token

self.addEventListener("push", (event) => {
  const message = event.data ? event.data.json() : { title: "Porchlight", body: "", tag: "porchlight", url: "/" };
  event.waitUntil(notify(message));
});

async function notify(message) {
  const most = self.Notification?.maxActions ?? 2;
  await self.registration.showNotification(message.title, {
    body: message.body,
    tag: message.tag,
    renotify: !message.silent, // a red calls again; a quiet replacement does not
    silent: Boolean(message.silent),
    requireInteraction: Boolean(message.require_interaction),
    actions: (message.actions || []).slice(0, most),
    icon: "/static/web/icon-192.png",
    badge: "/static/web/icon-192.png",
    data: message,
  });
  // The icon carries a mark while the partner's red waits for an answer.
  if (message.kind === "light" && "setAppBadge" in self.navigator) {
    await (message.badge ? self.navigator.setAppBadge(1) : self.navigator.clearAppBadge()).catch(() => {});
  }
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const answer = REPLIES.includes(event.action) ? event.action : null;
  event.waitUntil(answer ? answerFrom(event.notification, answer) : open(event.notification.data?.url || "/"));
});

async function open(url) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const page = windows.find((w) => new URL(w.url).origin === location.origin);
  if (!page) return self.clients.openWindow(url);
  const here = new URL(page.url);
  // A page this worker does not control yet cannot be moved: a new window then.
  const moved = here.pathname + here.search === url || (await page.navigate(url).catch(() => null));
  if (!moved) return self.clients.openWindow(url);
  return page.focus().catch(() => page); // focus is the browser's to allow (a click on the notification)
}

async function csrfToken() {
  const kept = await caches.open(META).then((cache) => cache.match("/__csrf"));
  if (kept) return kept.text();
  const cookie = await self.cookieStore?.get("csrftoken").catch(() => null);
  return cookie?.value ?? "";
}

function opId() {
  return (self.crypto.randomUUID ? self.crypto.randomUUID() : `${Date.now()}-${Math.random()}`).replace(/[^A-Za-z0-9-]/g, "");
}

// An answer chosen on the notification: sent from here with the person's session, unless
// the light changed meanwhile. Offline, the app opens with the answer waiting in its
// outbox (the same op_id); refused, the app opens and says why. Never lost in silence.
async function answerFrom(notification, reply) {
  const light = notification.data || {};
  const op = opId();
  const waiting = `/?answer=${reply}&op=${op}&since=${encodeURIComponent(light.since || "")}`;
  let response;
  try {
    const couple = await fetch("/api/couple/", { credentials: "same-origin" });
    if (couple.status === 401 || couple.status === 403) return open("/accounts/login/?next=/");
    const partner = (await couple.json()).partners?.find((p) => p.id === light.partner);
    if (!partner || partner.signal.state !== light.state || partner.signal.since !== light.since) {
      return open(`/?answer=${reply}&refused=changed`);
    }
    response = await fetch("/api/signal/answer/", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": await csrfToken() },
      body: JSON.stringify({ reply, to: light.partner, op_id: op }),
    });
  } catch {
    return open(waiting); // offline: the app sends it when it can
  }
  if (response.ok) {
    if ("clearAppBadge" in self.navigator) await self.navigator.clearAppBadge().catch(() => {});
    return undefined;
  }
  // The server briefly down or busy: like offline, the app sends it when it can.
  if (response.status >= 500 || response.status === 429) return open(waiting);
  const body = await response.json().catch(() => ({}));
  return open(`/?answer=${reply}&refused=${encodeURIComponent(body.detail || body.code || response.status)}`);
}
// For the browser tests: the action handler, driven as a click on an action drives it.
self.porchlightAnswer = answerFrom;
