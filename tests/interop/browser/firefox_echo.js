// Gecko's own WebSocket against echo_server, run in a page in headless
// Firefox (firefox_run.py serves the page and calls runEcho over Marionette).
// Returns its checks as [{ok, what, detail}], notes as [{info}] and the
// closes it made as [{close: {path, code, reason}}]; Python reports them and
// finds the closes in echo_server's log.
'use strict';

const enc = new TextEncoder();

// Valid UTF-8 of exactly nbytes bytes: 1-, 2-, 3- and 4-byte characters in
// turn, ASCII to fill the end.
function exactText(nbytes) {
  const units = [['a', 1], ['\u00e9', 2], ['\u4e2d', 3], ['\u{1F600}', 4]];
  const parts = [];
  let have = 0;
  for (let i = 0; have + 4 <= nbytes; i++) {
    const [ch, len] = units[i % 4];
    parts.push(ch);
    have += len;
  }
  return parts.join('') + 'x'.repeat(nbytes - have);
}

// Seeded bytes (xorshift32): the same every run.
function seededBytes(n, seed) {
  const b = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

// [label, what to send, what must come back (a string, or a Uint8Array)].
function echoPlan() {
  const all256 = new Uint8Array(256).map((_, i) => i);
  const backing = seededBytes(1000, 7);
  const plan = [
    ['ASCII text', 'Hello from Gecko ~!@#$%^&*()_+{}|:"<>?', null],
    ['multibyte text (2-, 3-, 4-byte, U+0000, U+10FFFF)',
      'h\u00e9llo \u4e2d\u6587 \u65e5\u672c\u8a9e \u{1F600}\u{1F680} \u0000 \u{10FFFF} end', null],
    ['empty text', '', null],
    ['binary with all 256 byte values (Uint8Array)', all256, all256],
    ['empty binary', new Uint8Array(0), new Uint8Array(0)],
    ['binary from an ArrayBuffer', all256.slice().reverse().buffer, all256.slice().reverse()],
    ['binary from a view into the middle of a buffer', new Uint8Array(backing.buffer, 100, 300),
      backing.slice(100, 400)],
    ['binary from a Blob', new Blob([backing]), backing],
  ];
  let seed = 1;
  for (const n of [125, 126, 65535, 65536, 1 << 20]) {
    plan.push([`${n}-byte text`, exactText(n), null]);
    const b = seededBytes(n, seed++);
    plan.push([`${n}-byte binary`, b, b]);
  }
  return plan.map(([label, data, want]) => [label, data, want === null ? data : want]);
}

function same(want, got) {
  if (typeof want === 'string') return typeof got === 'string' && got === want;
  if (!(got instanceof ArrayBuffer) || got.byteLength !== want.length) return false;
  const g = new Uint8Array(got);
  for (let i = 0; i < g.length; i++) if (g[i] !== want[i]) return false;
  return true;
}

function describe(v) {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return `text[${enc.encode(v).length} bytes] ${JSON.stringify(v.slice(0, 24))}`;
  const n = v instanceof ArrayBuffer ? v.byteLength : v.length;
  return `binary[${n}]`;
}

function timeout(ms, what) {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms));
}

// Resolves with the socket once open; rejects on error or close before that.
function open(url, protocols, ms) {
  const ws = protocols === undefined ? new WebSocket(url) : new WebSocket(url, protocols);
  ws.binaryType = 'arraybuffer';
  return Promise.race([timeout(ms, `open ${url}`), new Promise((resolve, reject) => {
    ws.onopen = () => resolve(ws);
    ws.onclose = (ev) => reject(new Error(`closed before open: code ${ev.code}`));
  })]);
}

// The close event's code, reason and wasClean, or null after ms.
function closed(ws, ms) {
  return Promise.race([new Promise((r) => setTimeout(() => r(null), ms)), new Promise((resolve) => {
    ws.onclose = (ev) => resolve({ code: ev.code, reason: ev.reason, wasClean: ev.wasClean });
  })]);
}

async function runEcho({ base, protocol, capture, ms }) {
  const out = [];
  const check = (ok, what, detail) => out.push({ ok: !!ok, what, detail: detail === undefined ? '' : String(detail) });
  const info = (text) => out.push({ info: text });

  // What Gecko's opening handshake looks like: a listener of firefox_run.py
  // reads it and hangs up, so this socket fails.
  {
    const ws = new WebSocket(capture, [protocol]);
    const ev = await closed(ws, ms);
    info(`handshake capture socket closed: ${JSON.stringify(ev)}`);
  }

  // The server knows only `protocol`; Gecko offers another one first, and
  // permessage-deflate, which the server does not take.
  const ws = await open(`${base}echo`, ['x-unknown.example', protocol], ms);
  check(ws.protocol === protocol, `offered x-unknown.example and ${protocol}: the server picks ${protocol}`,
    JSON.stringify(ws.protocol));
  check(ws.extensions === '', 'Gecko offers permessage-deflate, the server takes no extension',
    JSON.stringify(ws.extensions));

  const plan = echoPlan();
  // 1000 short messages in a row, text and binary alternating.
  const burst = [];
  for (let i = 0; i < 1000; i++) {
    burst.push(i % 2 ? enc.encode(`#${i}`) : `#${i} \u00e9\u{1F680}`);
  }
  const expected = plan.map((p) => p[2]).concat(burst);
  const got = [];
  const all = new Promise((resolve) => {
    ws.onmessage = (ev) => {
      got.push(ev.data);
      if (got.length === expected.length) resolve(true);
    };
    ws.onclose = () => resolve(false);
  });
  for (const [, data] of plan) ws.send(data);
  for (const m of burst) ws.send(m);
  const bytes = plan.reduce((s, [, d]) => s + (typeof d === 'string' ? enc.encode(d).length
    : d instanceof Blob ? d.size : d.byteLength), 0);
  info(`sent ${plan.length + burst.length} messages, ${bytes} bytes in the first ${plan.length}`);
  await Promise.race([all, new Promise((r) => setTimeout(r, ms))]);
  plan.forEach(([label], i) => {
    check(same(expected[i], got[i]), `${label} echoed exactly, as ${typeof expected[i] === 'string' ? 'text' : 'binary'}`,
      `got ${describe(got[i])}`);
  });
  const bad = burst.findIndex((m, i) => !same(m, got[plan.length + i]));
  check(got.length === expected.length && bad === -1, '1000 short messages echoed exactly and in order',
    `received ${got.length} of ${expected.length}, first wrong: #${bad}`);

  // Close codes and reasons come back as sent (echo_server echoes the close).
  const reason1000 = 'bye from Gecko \u00e9\u{1F600}';
  ws.close(1000, reason1000);
  const c1000 = await closed(ws, ms);
  out.push({ close: { path: '/echo', code: 1000, reason: reason1000 } });
  check(c1000 && c1000.code === 1000 && c1000.reason === reason1000 && c1000.wasClean,
    'close 1000 with a multibyte reason: clean, 1000 and the reason come back', JSON.stringify(c1000));

  const reason123 = exactText(123); // the most a close frame can carry
  for (const [code, reason] of [[3000, 'registered 3000'], [4999, reason123]]) {
    const w = await open(`${base}close-${code}`, undefined, ms);
    check(w.protocol === '', `/close-${code}: no subprotocol offered, none chosen`, JSON.stringify(w.protocol));
    w.close(code, reason);
    const c = await closed(w, ms);
    out.push({ close: { path: `/close-${code}`, code, reason } });
    check(c && c.code === code && c.reason === reason && c.wasClean,
      `close ${code} with a ${enc.encode(reason).length}-byte reason: clean, ${code} and the reason come back`,
      JSON.stringify(c));
  }

  // None in common: the 101 names no subprotocol (RFC 6455 allows it).
  // What Gecko makes of that is noted, not checked: it is Gecko's choice.
  try {
    const w = await open(`${base}no-common-protocol`, ['nope.example'], ms);
    info('offered only nope.example, 101 without a subprotocol: Gecko opens the socket ' +
      `(protocol ${JSON.stringify(w.protocol)})`);
    w.close(1000);
    await closed(w, ms);
  } catch (e) {
    info(`offered only nope.example, 101 without a subprotocol: Gecko fails the connection (${e.message})`);
  }
  return out;
}
