// Node ws client for the echo interop test.
// usage: node echo_client.js URL SEED COUNT
// Sends COUNT seeded random messages (text with multibyte UTF-8 and binary,
// 0 bytes to 1 MiB), expects each back byte-exact with its type and in
// order, then ping -> pong with equal payload, then close 1000 with a reason
// -> the server's close carries 1000. Prints one line per check; exit 0 only
// when all pass.
'use strict';
const WebSocket = require('ws');
const { checker, rng32 } = require('../common');

const [url, seedArg, countArg] = process.argv.slice(2);
const COUNT = Number(countArg);
const { check, finish, deadline } = checker('node: ');

const random = rng32(Number(seedArg));
const randInt = (lo, hi) => lo + Math.floor(random() * (hi - lo)); // [lo, hi)

const ALPHABET = [];
for (let c = 0x20; c < 0x7f; c++) for (let k = 0; k < 4; k++) ALPHABET.push(String.fromCodePoint(c));
for (const c of [0x0, 0x7f, 0x80, 0xe9, 0xff, 0x7ff, 0x800, 0x20ac, 0xd7ff, 0xe000, 0xfffd, 0xffff,
  0x4e2d, 0x6587, 0x65e5, 0x672c, 0x10000, 0x1f600, 0x1f680, 0x10ffff]) {
  ALPHABET.push(String.fromCodePoint(c));
}
const POOL = [];
for (let i = 0; i < 200000; i++) POOL.push(ALPHABET[randInt(0, ALPHABET.length)]);

function randomText(nbytes) {
  const parts = [];
  let have = 0;
  let i = randInt(0, POOL.length);
  while (true) {
    const ch = POOL[i];
    const len = Buffer.byteLength(ch);
    if (have + len > nbytes) break;
    parts.push(ch);
    have += len;
    i = (i + 1) % POOL.length;
  }
  return parts.join('');
}

function randomBytes(n) {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (random() * 256) | 0;
  return b;
}

function skewedSize() {
  const r = random();
  if (r < 0.55) return randInt(0, 126);
  if (r < 0.85) return randInt(126, 65536);
  if (r < 0.98) return randInt(65536, 262144);
  return randInt(262144, (1 << 20) + 1);
}

const EDGE_SIZES = [0, 1, 125, 126, 127, 65535, 65536, 65537, 1 << 20];
const plan = [];
for (let i = 0; i < COUNT; i++) {
  const edge = i < 2 * EDGE_SIZES.length;
  const size = edge ? EDGE_SIZES[i >> 1] : skewedSize();
  const text = edge ? i % 2 === 0 : random() < 0.5;
  plan.push(text ? { isBinary: false, data: Buffer.from(randomText(size)), str: null }
    : { isBinary: true, data: randomBytes(size) });
}
for (const m of plan) if (!m.isBinary) m.str = m.data.toString('utf8');
const totalBytes = plan.reduce((s, m) => s + m.data.length, 0);
console.log(`info: node ws ${require('ws/package.json').version}: ${COUNT} messages, ` +
  `${plan.filter((m) => !m.isBinary).length} text, ${totalBytes} bytes`);

const ws = new WebSocket(url, { maxPayload: 0, handshakeTimeout: 10000 });
let received = 0;
const mismatches = [];
const echoTimer = deadline(120000, `all ${COUNT} messages echoed within 120 s`,
  () => `received ${received}`);

ws.on('error', (err) => console.log(`info: node: socket error ${err.message}`));
ws.on('open', () => {
  check(ws.extensions === '', 'permessage-deflate offered, server negotiates no extension',
    `Sec-WebSocket-Extensions: ${ws.extensions}`);
  for (const m of plan) ws.send(m.isBinary ? m.data : m.str, { binary: m.isBinary });
});
ws.on('message', (data, isBinary) => {
  if (received >= COUNT) return; // later checks listen for their own replies
  const i = received++;
  const want = plan[i];
  if (isBinary !== want.isBinary || Buffer.compare(data, want.data) !== 0) {
    mismatches.push(`#${i}: sent ${want.isBinary ? 'binary' : 'text'}[${want.data.length}] ` +
      `got ${isBinary ? 'binary' : 'text'}[${data.length}]`);
  }
  if (received === COUNT) {
    clearTimeout(echoTimer);
    check(true, `all ${COUNT} messages echoed`);
    check(mismatches.length === 0, 'every echo byte-exact, same type, in order',
      mismatches.slice(0, 5).join('; '));
    pings();
  }
});

// A message in three frames (ws sends fin: false fragments); the echo must
// be the whole message.
async function fragments() {
  const parts = ['fr\u00e4g', 'ment\u00e9d ', '\u{1f600} text'];
  const got = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), 10000);
    ws.once('message', (data, isBinary) => {
      clearTimeout(timer);
      resolve({ data: data.toString('utf8'), isBinary });
    });
    parts.forEach((p, i) => ws.send(p, { fin: i === parts.length - 1 }));
  });
  check(got !== null && !got.isBinary && got.data === parts.join(''),
    'text message sent in 3 fragments echoed whole', JSON.stringify(got));
}

async function pings() {
  await fragments();
  for (const payload of [Buffer.alloc(0), Buffer.from('ping-payload-\x00\xff', 'latin1'),
    Buffer.from([...Array(125).keys()])]) {
    const got = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), 10000);
      ws.once('pong', (data) => {
        clearTimeout(timer);
        resolve(data);
      });
      ws.ping(payload);
    });
    check(got !== null && Buffer.compare(got, payload) === 0,
      `ping with ${payload.length}-byte payload -> pong with the same payload`,
      got === null ? 'no pong in 10 s' : `pong payload ${got.toString('hex')}`);
  }
  const closeTimer = deadline(10000, 'close handshake completes within 10 s');
  ws.once('close', (code, reason) => {
    clearTimeout(closeTimer);
    check(code === 1000, "close 1000 with a reason -> server's close frame carries 1000",
      `code ${code} reason ${reason}`);
    console.log(`info: node: server's close reason '${reason}'`);
    finish();
  });
  ws.close(1000, 'bye from node');
}

ws.on('close', (code) => {
  if (received < COUNT) {
    clearTimeout(echoTimer);
    check(false, `all ${COUNT} messages echoed before the connection closed`,
      `received ${received}, close code ${code}`);
    finish();
  }
});
