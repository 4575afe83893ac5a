// Shared by the Node scripts of the interop tests (require('../common')):
// the check lines they all print, the seeded generator their random
// messages come from, and headless Chromium as the browser tests start it.
'use strict';

// check(cond, what, detail) prints "ok: PREFIXwhat" or
// "FAIL: PREFIXwhat -- detail" and returns cond; finish() prints the tally
// and exits 0 only when checks ran and none failed. deadline(ms, what)
// fails `what` and finishes when ms pass first (clearTimeout to disarm).
function checker(prefix = '') {
  const c = { passed: 0, failed: 0 };
  c.check = (cond, what, detail) => {
    if (cond) {
      c.passed++;
      console.log(`ok: ${prefix}${what}`);
    } else {
      c.failed++;
      console.log(`FAIL: ${prefix}${what}${detail ? ' -- ' + detail : ''}`);
    }
    return cond;
  };
  c.finish = () => {
    console.log(`info: ${prefix}${c.passed} checks ok, ${c.failed} failed`);
    process.exit(c.failed === 0 && c.passed > 0 ? 0 : 1);
  };
  c.deadline = (ms, what, detail) => setTimeout(() => {
    c.check(false, what, detail && detail());
    c.finish();
  }, ms);
  return c;
}

// mulberry32: a small seeded generator of [0, 1) numbers, so a failing run
// can be replayed. Self-contained, so browser_echo.js can install its source
// in a page.
function rng32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Runs body(browser) in Debian's Chromium, headless, without the background
// traffic a test has no use for, then closes the browser and finishes the
// checks. An exception in body fails a check; a body still running after ms
// fails `what`, and the process exits 1.
async function inChromium({ check, finish }, what, ms, body) {
  const { chromium } = require('playwright-core');
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 30000,
  });
  const watchdog = setTimeout(async () => {
    check(false, what);
    await browser.close().catch(() => {});
    process.exit(1);
  }, ms);
  try {
    await body(browser);
  } catch (err) {
    check(false, 'browser script ran without an exception', err && err.stack);
  } finally {
    clearTimeout(watchdog);
    await browser.close().catch(() => {});
  }
  finish();
}

module.exports = { checker, rng32, inChromium };
