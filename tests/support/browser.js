// Headless Debian Chromium for the browser tests (flags from DESIGN §10), and
// their TAP-like lines: ok/check print one line per assertion, runTest the summary.
'use strict';

const { chromium } = require('playwright-core');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// A persistent context in profileDir; options go to launchPersistentContext.
function launchBrowser(profileDir, options = {}) {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    ...options,
  });
}

let passed = 0;
function ok(what) {
  passed++;
  console.log(`ok - ${what}`);
}

function check(condition, what) {
  if (!condition) throw new Error(`failed: ${what}`);
  ok(what);
}

// how many assertions passed so far (names the failure screenshots)
const passedCount = () => passed;

// runs the async main and prints "N passed, F failed"; a throw fails the process
function runTest(main) {
  main().then(
    () => console.log(`${passed} passed, 0 failed`),
    (err) => {
      console.error(err.stack || String(err));
      console.log(`${passed} passed, 1 failed`);
      process.exitCode = 1;
    },
  );
}

module.exports = { launchBrowser, ok, check, passedCount, runTest };
