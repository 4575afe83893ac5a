// Fan-out under load: N Node ws clients in one room, S of them send M messages
// each. Every client must receive all S*M messages exactly once, in each
// sender's order, and keep its connection; then each closes with 1000 and
// gets 1000 back.
// usage: node chat_fanout.js URL N S M
'use strict';
const WebSocket = require('ws');
const { checker } = require('../common');

const [url, nArg, sArg, mArg] = process.argv.slice(2);
const N = Number(nArg), S = Number(sArg), M = Number(mArg);
const { check, finish, deadline } = checker();
deadline(100000, 'fan-out finished within 100 s');

const RE = /^Server: fan-(\d+)-(\d+) /;
const clients = [];

function open(i) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { handshakeTimeout: 10000 });
    const c = { ws, i, got: 0, last: new Array(S).fill(-1), disorder: 0, other: 0, closed: null };
    ws.on('open', () => resolve(c));
    ws.on('error', (e) => { c.error = e.message; resolve(c); });
    ws.on('message', (data, isBinary) => {
      const m = RE.exec(isBinary ? '' : data.toString());
      if (!m) { c.other++; return; }
      const s = Number(m[1]), k = Number(m[2]);
      if (k !== c.last[s] + 1) c.disorder++;
      c.last[s] = k;
      c.got++;
    });
    ws.on('close', (code) => { c.closed = code; });
    clients.push(c);
  });
}

(async () => {
  const t0 = Date.now();
  for (let i = 0; i < N; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, N - i) }, (_, k) => open(i + k)));
  }
  const opened = clients.filter((c) => c.ws.readyState === WebSocket.OPEN).length;
  check(opened === N, `${N} clients connected`, `${opened} open; errors: ${clients.filter((c) => c.error).map((c) => c.error).slice(0, 3)}`);
  console.log(`info: ${N} clients connected in ${Date.now() - t0} ms`);

  const t1 = Date.now();
  const pad = 'p'.repeat(40);
  for (let k = 0; k < M; k++) {
    for (let s = 0; s < S; s++) clients[s].ws.send(`fan-${s}-${k} ${pad} \u00e9\u4e2d\ud83d\ude00`);
    if (k % 10 === 9) await new Promise((r) => setImmediate(r));
  }
  const want = S * M;
  while (Date.now() - t1 < 60000 && clients.some((c) => c.got < want && c.closed === null)) {
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 300)); // room for duplicates
  const ms = Date.now() - t1;
  const short = clients.filter((c) => c.got !== want);
  console.log(`info: ${want} messages to each of ${N} clients (${want * N} deliveries) in ${ms} ms`);
  check(short.length === 0, `every client received exactly ${want} messages`,
    short.slice(0, 5).map((c) => `client ${c.i}: ${c.got} (closed ${c.closed})`).join('; '));
  const disorder = clients.filter((c) => c.disorder > 0);
  check(disorder.length === 0, "every client got each sender's messages in order, none twice",
    disorder.slice(0, 5).map((c) => `client ${c.i}: ${c.disorder}`).join('; '));
  check(clients.every((c) => c.closed === null), 'no client was disconnected',
    clients.filter((c) => c.closed !== null).slice(0, 5).map((c) => `client ${c.i}: ${c.closed}`).join('; '));

  for (const c of clients) c.ws.close(1000, 'done');
  const t2 = Date.now();
  while (Date.now() - t2 < 15000 && clients.some((c) => c.closed === null)) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const bad = clients.filter((c) => c.closed !== 1000);
  check(bad.length === 0, `all ${N} clients close with 1000 and get 1000 back`,
    bad.slice(0, 5).map((c) => `client ${c.i}: ${c.closed}`).join('; '));
  finish();
})();
