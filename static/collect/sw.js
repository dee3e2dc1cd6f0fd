// The offline app's service worker (served at /collect/sw.js after a head that defines
// VERSION, PRECACHE and STORE_URL). The app's files are cached per version: an update
// fills its own cache, then drops only the older app caches; records are in IndexedDB
// and are never touched by an update.
/* global VERSION, PRECACHE, STORE_URL */
importScripts(STORE_URL);

var CACHE = "par-collect-" + VERSION;
var SHELL = "/collect/";

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(PRECACHE.map(function (url) {
      return new Request(url, { credentials: "same-origin", cache: "reload" });
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("par-collect-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (url.pathname.indexOf("/collect/api/") === 0) { return; }  // always the network's
  if (request.mode === "navigate" && url.pathname === SHELL) {
    // the page from the network when there is one (a new language, a new version)
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        // a worker replaced meanwhile must not bring back the cache its successor dropped
        caches.has(CACHE).then(function (kept) {
          return kept ? caches.open(CACHE).then(function (cache) { return cache.put(SHELL, copy); })
            : null;
        });
      }
      return response;
    }).catch(function () {
      return caches.open(CACHE).then(function (cache) { return cache.match(SHELL); });
    }));
    return;
  }
  event.respondWith(caches.open(CACHE).then(function (cache) {
    return cache.match(request).then(function (hit) { return hit || fetch(request); });
  }));
});

self.addEventListener("sync", function (event) {
  if (event.tag === "outbox") {
    event.waitUntil(self.CollectStore.sendOutbox().then(function (tally) {
      if (tally.waiting) { throw new Error("records still waiting"); }  // the browser retries
    }));
  }
});

self.addEventListener("message", function (event) {
  if (event.data && event.data.type === "version" && event.ports[0]) {
    event.ports[0].postMessage({ version: VERSION });
  }
});
