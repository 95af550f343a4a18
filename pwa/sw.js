// Tally's service worker: the app works offline and updates cleanly.
//
// scripts/trunk-post-build.sh writes dist/sw.js from this file, replacing
// the three placeholders with the build's public URL, its version (a hash of
// every file's hash) and the list of its files with their SHA-256 integrity.
//
// - Install: precache every file of this build in its own cache. Each file is
//   fetched with its integrity, so a half-deployed site (a CDN still serving
//   an older index.html, a missing file) fails the install instead of
//   caching a mix; the browser tries again at its next update check.
// - Fetch: this build's files come from its cache, the page (index.html) too,
//   so a reload works without a network. Anything else goes to the network.
// - Update: a new build's worker installs beside the running one and waits.
//   The page offers a reload (pwa/register.js); only then does the new worker
//   take over. A tab serves exactly one build's files: every asset name
//   carries its content hash, and index.html comes from the same cache as
//   the assets it names.
'use strict';

const BASE = '__TALLY_BASE__';
const VERSION = '__TALLY_VERSION__';
// [path relative to BASE, 'sha256-…'] for every file of this build.
const ASSETS = __TALLY_ASSETS__;

// Cache Storage is per origin, and GitHub Pages serves every project of an
// account from one origin: the caches of this site are named by its path.
const PREFIX = 'tally:' + BASE + ':';
const CACHE = PREFIX + VERSION;
const scope = new URL(BASE, self.location.href);
const url = (path) => new URL(path, scope).href;
const PAGE = url('index.html');
const PRECACHED = new Set(ASSETS.map(([path]) => url(path)));

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) =>
      cache.addAll(
        // 'no-cache' revalidates with the server: an unchanged file costs a
        // 304, and the integrity check rejects a stale one.
        ASSETS.map(([path, integrity]) => new Request(url(path), { integrity, cache: 'no-cache' })),
      ),
    ).catch(async (error) => {
      await caches.delete(CACHE);
      throw error;
    }),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      // Tabs of the previous build have every file they need in memory; only
      // this build's files are kept.
      for (const key of await caches.keys()) {
        if (key.startsWith(PREFIX) && key !== CACHE) await caches.delete(key);
      }
      // The first visit's page uses this worker at once, so it works offline
      // without a second load.
      await self.clients.claim();
    })(),
  );
});

// The page asks for this when the user chooses to reload into a new build.
self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'tally-skip-waiting') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const target = new URL(request.url);
  target.hash = '';
  let key = null;
  if (request.mode === 'navigate' && (target.pathname === scope.pathname || target.href.split('?')[0] === PAGE)) {
    key = PAGE; // the app's page, whatever its query or #/view
  } else if (PRECACHED.has(target.href)) {
    key = target.href;
  }
  if (key === null) return; // not ours: the browser's default handling
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      const hit = await cache.match(key);
      // Only if the browser evicted the cache: fall back to the network.
      return hit || fetch(request);
    })(),
  );
});
