// Registers Tally's service worker (pwa/sw.js: offline use) and, when a new
// build is ready, shows a small notice with a Reload button. Plain JS, loaded
// as a module from index.html; the Content-Security-Policy allows no inline
// script.

const sw = navigator.serviceWorker;
// A page loaded without a worker is the first visit: the worker that then
// takes control runs this very build, so that is no news to show.
const hadController = Boolean(sw && sw.controller);
let registration = null;
let reloading = false;

function showNotice() {
  if (document.querySelector('.update-notice')) return;
  const notice = document.createElement('div');
  notice.className = 'update-notice';
  notice.setAttribute('role', 'status');
  notice.setAttribute('aria-live', 'polite');
  const text = document.createElement('p');
  text.textContent = 'A new version of Tally is ready.';
  const reload = document.createElement('button');
  reload.type = 'button';
  reload.textContent = 'Reload';
  reload.addEventListener('click', () => {
    reload.disabled = true;
    const waiting = registration && registration.waiting;
    if (waiting) {
      // The new worker takes over; 'controllerchange' then reloads this tab.
      reloading = true;
      waiting.postMessage({ type: 'tally-skip-waiting' });
    } else {
      // Another tab already switched to the new build.
      location.reload();
    }
  });
  const later = document.createElement('button');
  later.type = 'button';
  later.className = 'later';
  later.textContent = 'Later';
  later.setAttribute('aria-label', 'Dismiss: reload later');
  later.addEventListener('click', () => notice.remove());
  notice.append(text, reload, later);
  document.body.append(notice);
}

function watch(worker) {
  worker.addEventListener('statechange', () => {
    // 'installed' with a controller: a new build waits beside the running one.
    if (worker.state === 'installed' && sw.controller) showNotice();
  });
}

async function register() {
  try {
    registration = await sw.register(new URL('sw.js', import.meta.url), { updateViaCache: 'none' });
  } catch (error) {
    console.warn('Tally works online only here: the service worker could not be registered.', error);
    return;
  }
  if (registration.waiting && sw.controller) showNotice();
  if (registration.installing) watch(registration.installing);
  registration.addEventListener('updatefound', () => watch(registration.installing));
  // Long-lived tabs look for a new build when shown again, and hourly.
  const check = () => registration.update().catch(() => {}); // offline: try later
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') check();
  });
  setInterval(check, 60 * 60 * 1000);
}

if (sw) {
  sw.addEventListener('controllerchange', () => {
    if (reloading) location.reload();
    else if (hadController) showNotice(); // another tab switched to a new build
  });
  if (document.readyState === 'complete') register();
  else addEventListener('load', register, { once: true });
}
