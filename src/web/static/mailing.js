// A mailing's page: the progress bar stays live while the mailing is scheduled or sending.
// Every second it asks GET /mailings/ID/progress (the element with data-progress names it)
// and updates the bar and the counters in place; when the mailing changes state (sending,
// paused, done, cancelled) the page loads again once, for its buttons and its end report.
// Without JavaScript the page shows the bar as it was when loaded. No inline code: the
// panel's Content-Security-Policy allows scripts from the panel itself only.
'use strict';

(function () {
  const box = document.querySelector('[data-progress]');
  if (!box || !window.fetch) return;
  const url = box.getAttribute('data-progress');
  const shown = box.getAttribute('data-status');
  const COUNTS = ['sent', 'failed', 'blocked', 'pending', 'total', 'percent'];
  const GIVE_UP = 5; // failed polls in a row (signed out, server gone): the bar stays

  function set(selector, attribute, value) {
    const el = box.querySelector(selector);
    if (el) el.setAttribute(attribute, String(value));
  }

  function show(p) {
    for (const name of COUNTS) {
      const el = box.querySelector(`[data-count="${name}"]`);
      if (el) el.textContent = String(p[name]);
    }
    set('[data-bar="sent"]', 'width', p.bar.sent);
    set('[data-bar="failed"]', 'x', p.bar.failed_x);
    set('[data-bar="failed"]', 'width', p.bar.failed);
    set('[data-bar="blocked"]', 'x', p.bar.blocked_x);
    set('[data-bar="blocked"]', 'width', p.bar.blocked);
    set('svg', 'aria-label', `${p.done} of ${p.total} settled`);
  }

  let failures = 0;
  async function poll() {
    try {
      // a signed-out session is redirected to the sign-in page: that is an error here
      const r = await fetch(url, { cache: 'no-store', credentials: 'same-origin', redirect: 'error' });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      const p = await r.json();
      failures = 0;
      if (p.status !== shown) {
        window.location.reload();
        return;
      }
      show(p);
    } catch (err) {
      if (++failures >= GIVE_UP) return;
    }
    window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 1000);
})();
