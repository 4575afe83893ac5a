// Headless Chromium's own WebSocket against echo_server.
// usage: node browser_echo.js ws://127.0.0.1:PORT/
// In a page, Chromium sends 300 seeded random messages (text with emoji and
// CJK, binary; 0 bytes to 1 MiB, the length-field edges included) and expects
// each back unchanged and in order; then closes with 1000 and a reason and
// expects a clean close with 1000. Prints one line per check; exit 0 only
// when all pass.
'use strict';
const { checker, rng32, inChromium } = require('../common');

const [wsUrl] = process.argv.slice(2);
const checks = checker();
const { check } = checks;

// Runs inside the page, where rng32 is common.js's, added as a script tag.
async function echoInPage({ url, count, seed }) {
  const random = rng32(seed);
  const randInt = (lo, hi) => lo + Math.floor(random() * (hi - lo));
  const alphabet = ['a', 'b', 'Z', ' ', '~', '\u00e9', '\u20ac', '\u4e2d', '\u6587', '\ud83d\ude00', '\ud83d\ude80', '\u0000'];
  const enc = new TextEncoder();
  function text(nbytes) {
    const parts = [];
    let have = 0;
    for (;;) {
      const ch = alphabet[randInt(0, alphabet.length)];
      const len = enc.encode(ch).length;
      if (have + len > nbytes) break;
      parts.push(ch);
      have += len;
    }
    return parts.join('');
  }
  function bytes(n) {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = randInt(0, 256);
    return b;
  }
  const edges = [0, 1, 125, 126, 65535, 65536, 1 << 20];
  const plan = [];
  for (let i = 0; i < count; i++) {
    const edge = i < 2 * edges.length;
    let size;
    if (edge) size = edges[i >> 1];
    else {
      const r = random();
      size = r < 0.6 ? randInt(0, 126) : r < 0.9 ? randInt(126, 65536) : r < 0.98 ? randInt(65536, 262144) : randInt(262144, (1 << 20) + 1);
    }
    plan.push(edge ? (i % 2 === 0 ? text(size) : bytes(size)) : (random() < 0.5 ? text(size) : bytes(size)));
  }

  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const result = { received: 0, mismatches: [], extensions: null, close: null, error: null };
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error('WebSocket error before open'));
  });
  result.extensions = ws.extensions;
  const done = new Promise((resolve) => {
    ws.onmessage = (ev) => {
      const i = result.received++;
      const want = plan[i];
      let same;
      if (typeof want === 'string') same = typeof ev.data === 'string' && ev.data === want;
      else {
        const got = ev.data instanceof ArrayBuffer ? new Uint8Array(ev.data) : null;
        same = got !== null && got.length === want.length && got.every((v, k) => v === want[k]);
      }
      if (!same && result.mismatches.length < 5) {
        result.mismatches.push(`#${i}: sent ${typeof want === 'string' ? 'text' : 'binary'}` +
          `[${typeof want === 'string' ? enc.encode(want).length : want.length}]`);
      }
      if (result.received === plan.length) resolve();
    };
    ws.onclose = (ev) => {
      result.close = { code: ev.code, reason: ev.reason, wasClean: ev.wasClean };
      resolve();
    };
  });
  for (const m of plan) ws.send(m);
  await Promise.race([done, new Promise((r) => setTimeout(r, 60000))]);
  const closed = new Promise((resolve) => {
    ws.onclose = (ev) => {
      result.close = { code: ev.code, reason: ev.reason, wasClean: ev.wasClean };
      resolve();
    };
  });
  if (!result.close) {
    ws.close(1000, 'bye from chromium');
    await Promise.race([closed, new Promise((r) => setTimeout(r, 10000))]);
  }
  result.total = plan.length;
  result.bytes = plan.reduce((s, m) => s + (typeof m === 'string' ? enc.encode(m).length : m.length), 0);
  return result;
}

inChromium(checks, 'browser echo test finished within 90 s', 90000, async (browser) => {
  // A page Playwright serves counts as "public" to Chromium's Local Network
  // Access checks, which refuse it WebSockets to 127.0.0.1
  // (ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS) unless the user allowed it:
  // grant that. The blank page is served at the server's own origin by
  // Playwright; echo_server never sees that request.
  const context = await browser.newContext({ permissions: ['local-network-access'] });
  const page = await context.newPage();
  const origin = wsUrl.replace(/^ws:/, 'http:');
  await page.route(origin, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>echo</title>' }));
  await page.goto(origin);
  // Page code cannot require: the generator goes in as source.
  await page.addScriptTag({ content: rng32.toString() });
  const r = await page.evaluate(echoInPage, { url: wsUrl, count: 300, seed: 1455 });
  console.log(`info: chromium ${browser.version()} sent ${r.total} messages, ${r.bytes} bytes`);
  check(r.extensions === '', 'chromium offers permessage-deflate, server negotiates no extension', r.extensions);
  check(r.received === r.total, `all ${r.total} messages echoed`, `received ${r.received}`);
  check(r.mismatches.length === 0, 'every echo unchanged, same type, in order', r.mismatches.join('; '));
  check(r.close && r.close.code === 1000 && r.close.wasClean,
    'close 1000 with a reason -> clean close, server answers 1000', JSON.stringify(r.close));
});
