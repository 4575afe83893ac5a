// undici's WebSocket (the WHATWG API; the npm package is what Node 22+
// ships as its global WebSocket) against our servers. undici_interop.py
// starts the server, runs this script and reads the server's log.
//
// usage: node undici_client.js echo URL SEED DEADLINE_MS CODE=REASON...
//        node undici_client.js chat URL SEED DEADLINE_MS
//
// echo: URL is echo_server started with --protocol echo.v2 --protocol echo.v1.
//   Offering [echo.v1, echo.v2] gets echo.v2 (the server's preference), and
//   no extension although undici offers permessage-deflate. Text (ASCII,
//   2- to 4-byte UTF-8, empty), binary (every byte value, empty) and both
//   at 125, 126, 65535, 65536, 1 MiB and 16 MiB (echo_server's default
//   --max-message) come back byte for byte with their type; then 1000
//   messages sent at once come back in order. Each CODE=REASON closes one
//   connection (the first the one above, the others fresh ones offering no
//   subprotocol): the close event has that code and wasClean.
// chat: URL is chat_server started with --ping-interval 1. Three clients in
//   the room; each one's text reaches all three as "Server: <text>"
//   (multibyte, empty and 65536 bytes, chat_server's default --max-message,
//   included), binary unchanged; after 3 s of silence, which the server
//   fills with pings that undici answers on its own, all three are still
//   there; then each closes with 1000, cleanly.
//
// Only what undici 6 and Node 18.19 (Debian 12's nodejs) both provide is
// used here.
'use strict';
const { WebSocket } = require('undici');
const { checker, rng32 } = require('../common');

const [mode, url, seedArg, deadlineArg, ...closeArgs] = process.argv.slice(2);
const { check, finish, deadline } = checker('undici: ');
const DEADLINE_MS = Number(deadlineArg);
// One reply or event: generous, yet well inside the whole run's deadline.
const WAIT_MS = Math.min(20000, DEADLINE_MS / 4);
const random = rng32(Number(seedArg));

console.log(`info: undici ${require('undici/package.json').version} on Node ${process.version}`);
deadline(DEADLINE_MS, `${mode}: finished within ${DEADLINE_MS} ms`);

// ------------------------------------------------------------ messages

// A message as sent or received: its type and its bytes (text as UTF-8),
// so text and binary compare alike, byte for byte.
const text = (s) => ({ binary: false, str: s, bytes: Buffer.from(s, 'utf8') });
const binary = (bytes) => ({ binary: true, bytes: Buffer.from(bytes) });

function describe(m) {
  if (!m) return 'nothing';
  return `${m.binary ? 'binary' : 'text'}[${m.bytes.length}] ${m.bytes.subarray(0, 16).toString('hex')}`;
}

// Why got is not sent: the types, or where the bytes first differ.
function mismatch(sent, got) {
  if (!got) return `sent ${describe(sent)}, got nothing`;
  let i = 0;
  while (i < sent.bytes.length && i < got.bytes.length && sent.bytes[i] === got.bytes[i]) i++;
  return `sent ${describe(sent)}, got ${describe(got)}, first difference at byte ${i}`;
}

function same(a, b) {
  return a !== null && a.binary === b.binary && a.bytes.equals(b.bytes);
}

// 1- to 4-byte UTF-8 sequences, the edges of the planes among them.
const ALPHABET = [];
for (let c = 0x20; c < 0x7f; c++) ALPHABET.push(String.fromCodePoint(c));
for (const c of [0x0, 0x7f, 0x80, 0xe9, 0x7ff, 0x800, 0x20ac, 0x4e2d, 0xd7ff, 0xe000, 0xfffd,
  0xffff, 0x10000, 0x1f600, 0x1f680, 0x10ffff]) {
  for (let k = 0; k < 8; k++) ALPHABET.push(String.fromCodePoint(c));
}
const pick = (n) => Math.floor(random() * n);

// Random text of exactly nbytes UTF-8 bytes (padded with ASCII at the end).
function smallText(nbytes) {
  let s = '';
  let have = 0;
  for (;;) {
    const ch = ALPHABET[pick(ALPHABET.length)];
    const len = Buffer.byteLength(ch);
    if (have + len > nbytes) break;
    s += ch;
    have += len;
  }
  return s + 'x'.repeat(nbytes - have);
}

// Megabytes of text one character at a time would take seconds: a large
// message is random 4 KiB pieces in random order instead.
const PIECES = Array.from({ length: 64 }, () => smallText(4096));
function exactText(nbytes) {
  const parts = [];
  let have = 0;
  while (nbytes - have >= 8192) {
    parts.push(PIECES[pick(PIECES.length)]);
    have += 4096;
  }
  parts.push(smallText(nbytes - have));
  return parts.join('');
}

function randomBytes(n) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = pick(256);
  return b;
}

// ------------------------------------------------------------ connections

// A connection whose messages queue up for next(): onmessage fires whether
// or not anyone waits.
function connect(path, protocols) {
  const ws = protocols ? new WebSocket(url + path, protocols) : new WebSocket(url + path);
  ws.binaryType = 'arraybuffer';
  const c = { ws, path, queue: [], waiter: null, close: null, error: null };
  const wake = () => {
    if (c.waiter) c.waiter();
  };
  ws.onmessage = (e) => {
    c.queue.push(typeof e.data === 'string' ? text(e.data) : binary(new Uint8Array(e.data)));
    wake();
  };
  ws.onerror = (e) => {
    c.error = (e.error && e.error.message) || e.message || 'error';
  };
  c.closed = new Promise((resolve) => {
    ws.onclose = (e) => {
      c.close = { code: e.code, reason: e.reason, wasClean: e.wasClean };
      wake();
      resolve(c.close);
    };
  });
  c.opened = new Promise((resolve) => {
    ws.onopen = () => resolve(true);
    c.closed.then(() => resolve(false));
  });
  // The next message, or null when the connection closed or ms passed.
  c.next = (ms = WAIT_MS) => new Promise((resolve) => {
    const give = () => {
      if (c.queue.length > 0 || c.close) {
        clearTimeout(timer);
        c.waiter = null;
        resolve(c.queue.length > 0 ? c.queue.shift() : null);
      }
    };
    const timer = setTimeout(() => {
      c.waiter = null;
      resolve(c.queue.length > 0 ? c.queue.shift() : null);
    }, ms);
    c.waiter = give;
    give();
  });
  c.send = (m) => ws.send(m.binary ? m.bytes : m.str);
  return c;
}

function within(promise, ms, fallback) {
  let timer;
  return Promise.race([promise, new Promise((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  })]).finally(() => clearTimeout(timer));
}

function why(c) {
  return `${c.close ? `closed ${c.close.code} '${c.close.reason}'` : 'open'}` +
    `${c.error ? `, error: ${c.error}` : ''}`;
}

// Closes with code and reason; the close event must carry the server's
// answer, the same code and reason, and be clean (our close frame was
// echoed and the server closed TCP).
async function closeClean(c, code, reason) {
  c.ws.close(code, reason);
  const ev = await within(c.closed, WAIT_MS, null);
  check(ev !== null && ev.code === code && ev.reason === reason && ev.wasClean,
    `${c.path}: close ${code} with a reason -> close event ${code} with that reason, wasClean`,
    ev ? `code ${ev.code} wasClean ${ev.wasClean} reason '${ev.reason}'` : `no close event in ${WAIT_MS} ms`);
}

// ------------------------------------------------------------ echo_server

function echoPlan() {
  const all256 = Buffer.alloc(512);
  for (let i = 0; i < 256; i++) all256[i] = all256[511 - i] = i;
  const plan = [
    ['ASCII text', text('Hello, echo_server! ~`{}|\\')],
    ['multibyte text (2-, 3- and 4-byte UTF-8, U+0000, U+10FFFF)',
      text('h\u00e9llo w\u00f6rld \u2014 \u4e2d\u6587 \u65e5\u672c\u8a9e \u{1f600}\u{1f680} \u0000 \u{10ffff} end')],
    ['empty text', text('')],
    ['binary with all 256 byte values', binary(all256)],
    ['empty binary', binary(Buffer.alloc(0))],
  ];
  for (const n of [125, 126, 65535, 65536, 1 << 20, 16 << 20]) {
    plan.push([`${n}-byte text`, text(exactText(n))]);
    plan.push([`${n}-byte binary`, binary(randomBytes(n))]);
  }
  return plan;
}

async function echo() {
  const closes = closeArgs.map((a) => {
    const eq = a.indexOf('=');
    return { code: Number(a.slice(0, eq)), reason: a.slice(eq + 1) };
  });
  const c = connect('/undici/echo', ['echo.v1', 'echo.v2']);
  if (!check(await within(c.opened, WAIT_MS, false), '/undici/echo: connected', why(c))) return;
  check(c.ws.protocol === 'echo.v2', "offering [echo.v1, echo.v2] gets echo.v2, the server's preference",
    `protocol '${c.ws.protocol}'`);
  check(c.ws.extensions === '', 'undici offers permessage-deflate, the server takes no extension',
    `extensions '${c.ws.extensions}'`);

  for (const [label, m] of echoPlan()) {
    c.send(m);
    const got = await c.next();
    check(same(got, m), `${label} echoed byte for byte, same type`,
      `${mismatch(m, got)}; ${why(c)}`);
  }

  // Pipelined: every message is written before the first echo is read.
  const COUNT = 1000;
  const burst = Array.from({ length: COUNT }, (_, i) => {
    const n = pick(4) === 0 ? pick(70000) : pick(126);
    return i % 3 === 0 ? binary(randomBytes(n)) : text(`#${i} ${smallText(n)}`);
  });
  for (const m of burst) c.send(m);
  const bad = [];
  let got = 0;
  while (got < COUNT && bad.length < 5) {
    const m = await c.next();
    if (m === null) break;
    if (!same(m, burst[got])) bad.push(`#${got}: ${mismatch(burst[got], m)}`);
    got++;
  }
  check(got === COUNT && bad.length === 0, `${COUNT} messages sent at once echoed in order, byte for byte`,
    `${got} compared; ${bad.slice(0, 5).join('; ')}; ${why(c)}`);

  await closeClean(c, closes[0].code, closes[0].reason);
  for (const { code, reason } of closes.slice(1)) {
    const d = connect(`/undici/close-${code}`);
    if (!check(await within(d.opened, WAIT_MS, false), `/undici/close-${code}: connected`, why(d))) continue;
    check(d.ws.protocol === '' && d.ws.extensions === '',
      `/undici/close-${code}: no subprotocol offered, none selected, no extension`,
      `protocol '${d.ws.protocol}' extensions '${d.ws.extensions}'`);
    const m = text(`before close ${code} \u{1f600}`);
    d.send(m);
    const back = await d.next();
    check(same(back, m), `/undici/close-${code}: a text message echoed`, mismatch(m, back));
    await closeClean(d, code, reason);
  }
}

// ------------------------------------------------------------ chat_server

const PREFIX = Buffer.from('Server: ');

async function chat() {
  const clients = [0, 1, 2].map((i) => connect(`/undici/chat-${i}`));
  const opened = await Promise.all(clients.map((c) => within(c.opened, WAIT_MS, false)));
  if (!check(opened.every(Boolean), 'three clients in the room',
    clients.map(why).join('; '))) return;

  // One sender at a time, so each client's next message is known exactly.
  async function round(sender, label, m) {
    clients[sender].send(m);
    const want = m.binary ? m : { binary: false, bytes: Buffer.concat([PREFIX, m.bytes]) };
    const got = await Promise.all(clients.map((c) => c.next()));
    const wrong = got.map((g, i) => !same(g, want) && `client ${i}: ${mismatch(want, g)}; ${why(clients[i])}`)
      .filter(Boolean);
    check(wrong.length === 0, `client ${sender}'s ${label} reached all three` +
      (m.binary ? ' unchanged' : ' as "Server: <text>"'), wrong.join('; '));
  }

  for (let i = 0; i < 3; i++) {
    await round(i, 'text', text(`hello from undici ${i}`));
  }
  await round(0, 'multibyte text', text('\u00e9\u00e8 \u2014 \u4e2d\u6587 \u{1f600}\u{1f680} \u{10ffff}'));
  await round(1, 'empty text', text(''));
  await round(2, '65536-byte text', text(exactText(65536)));
  const all256 = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) all256[i] = i;
  await round(1, 'binary with all 256 byte values', binary(all256));
  await round(2, 'empty binary', binary(Buffer.alloc(0)));

  // --ping-interval 1: a silent client is pinged after 1 s and dropped if
  // no pong came 1 s later. Three seconds of silence cover two such rounds.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  check(clients.every((c) => c.close === null && c.queue.length === 0),
    'after 3 s of silence (server pings, undici pongs) all three are still connected',
    clients.map(why).join('; '));
  await round(0, 'text after the silence', text('still here \u{1f600}'));

  for (let i = 0; i < 3; i++) await closeClean(clients[i], 1000, `bye from undici ${i}`);
}

(mode === 'echo' ? echo() : chat())
  .catch((err) => check(false, `${mode}: ran without an exception`, err && err.stack))
  .finally(finish);
