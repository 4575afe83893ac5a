// Many Node ws clients at once against echo_server: N clients each send M
// seeded random messages (text with multibyte UTF-8 and binary, up to 16 KiB,
// the 16-bit length edge included) without waiting, and must get each one
// back unchanged and in order, on their own connection only.
// usage: node echo_load.js URL N M
'use strict';
const WebSocket = require('ws');
const { checker, rng32 } = require('../common');

const [url, nArg, mArg] = process.argv.slice(2);
const N = Number(nArg), M = Number(mArg);
const { check, finish, deadline } = checker();
deadline(100000, 'load finished within 100 s');

const ALPHABET = ['a', 'Q', ' ', '\u00e9', '\u20ac', '\u4e2d', '\ud83d\ude00'];

function plan(client) {
  const random = rng32(1000 + client);
  const out = [];
  for (let i = 0; i < M; i++) {
    const r = random();
    let size = r < 0.7 ? Math.floor(random() * 126) : Math.floor(random() * 16384);
    if (i === 0) size = 65535;
    if (random() < 0.5) {
      const b = Buffer.allocUnsafe(size);
      for (let k = 0; k < size; k++) b[k] = (random() * 256) | 0;
      out.push({ isBinary: true, data: b });
    } else {
      const parts = [`c${client}-${i} `];
      let bytes = Buffer.byteLength(parts[0]);
      while (bytes < size) {
        const ch = ALPHABET[(random() * ALPHABET.length) | 0];
        parts.push(ch);
        bytes += Buffer.byteLength(ch);
      }
      const s = parts.join('');
      out.push({ isBinary: false, data: Buffer.from(s), str: s });
    }
  }
  return out;
}

const results = [];
const t0 = Date.now();
let totalBytes = 0;
for (let c = 0; c < N; c++) {
  const msgs = plan(c);
  totalBytes += msgs.reduce((s, m) => s + m.data.length, 0);
  const r = { client: c, got: 0, bad: 0, closed: null, error: null };
  results.push(r);
  const ws = new WebSocket(url, { maxPayload: 0, handshakeTimeout: 20000 });
  ws.on('open', () => { for (const m of msgs) ws.send(m.isBinary ? m.data : m.str, { binary: m.isBinary }); });
  ws.on('message', (data, isBinary) => {
    const want = msgs[r.got++];
    if (!want || want.isBinary !== isBinary || Buffer.compare(want.data, data) !== 0) r.bad++;
    if (r.got === M) ws.close(1000);
  });
  ws.on('error', (e) => { r.error = e.message; });
  ws.on('close', (code) => {
    r.closed = code;
    if (results.every((x) => x.closed !== null)) report();
  });
}

function report() {
  console.log(`info: ${N} clients x ${M} messages, ${totalBytes} bytes each way, in ${Date.now() - t0} ms`);
  const short = results.filter((r) => r.got !== M);
  check(short.length === 0, `all ${N} clients got all ${M} echoes`,
    short.slice(0, 5).map((r) => `client ${r.client}: ${r.got} (closed ${r.closed}, ${r.error})`).join('; '));
  const bad = results.filter((r) => r.bad > 0);
  check(bad.length === 0, 'every echo unchanged, same type, in order, on its own connection',
    bad.slice(0, 5).map((r) => `client ${r.client}: ${r.bad} bad`).join('; '));
  const unclean = results.filter((r) => r.closed !== 1000);
  check(unclean.length === 0, 'every client closed 1000 and got 1000 back',
    unclean.slice(0, 5).map((r) => `client ${r.client}: ${r.closed}`).join('; '));
  finish();
}
