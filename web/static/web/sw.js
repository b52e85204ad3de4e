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
  if (event.data === "forget-pages") event.waitUntil(forgetPages());
});

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(VERSION).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== VERSION).map((k) => caches.delete(k))))
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
        .catch(() => caches.match(request).then((hit) => hit || caches.match("/offline/"))),
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

self.addEventListener("push", (event) => {
  const message = event.data ? event.data.json() : { title: "Porchlight", body: "", tag: "porchlight", url: "/" };
  event.waitUntil(
    self.registration.showNotification(message.title, {
      body: message.body,
      tag: message.tag,
      renotify: true,
      icon: "/static/web/icon-192.png",
      badge: "/static/web/icon-192.png",
      data: { url: message.url || "/" },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = event.notification.data?.url || "/";
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const open = windows.find((w) => new URL(w.url).pathname === url);
      return open ? open.focus() : self.clients.openWindow(url);
    }),
  );
});
