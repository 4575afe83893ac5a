// Node `ws` client against the libwsframe test server.
// usage: node hs_node_client.js URL [PROTOCOL...]
// Prints one JSON line: {"protocol": ..., "echo": ..., "closeCode": ...}.
'use strict';
const WebSocket = require('ws');

const [url, ...protocols] = process.argv.slice(2);
const ws = new WebSocket(url, protocols.length ? protocols : undefined);
const result = { protocol: null, echo: null, closeCode: null };
const timer = setTimeout(() => {
  console.log(JSON.stringify({ ...result, error: 'timeout' }));
  process.exit(1);
}, 10000);

ws.on('open', () => {
  result.protocol = ws.protocol;
  ws.send('hello from node ws');
});
ws.on('message', (data, isBinary) => {
  result.echo = isBinary ? null : data.toString();
  ws.close(1000, 'done');
});
ws.on('close', (code) => {
  result.closeCode = code;
  clearTimeout(timer);
  console.log(JSON.stringify(result));
});
ws.on('error', (err) => {
  clearTimeout(timer);
  console.log(JSON.stringify({ ...result, error: String(err.message) }));
  process.exit(1);
});
