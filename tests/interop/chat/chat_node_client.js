// A Node ws chat peer driven over pipes by the Python tests.
// usage: node chat_node_client.js URL
// stdout, one JSON object a line: {"event":"open"}, {"event":"text","data":...},
//   {"event":"binary","hex":...}, {"event":"close","code":N,"reason":...},
//   {"event":"error","message":...}
// stdin, one JSON object a line: {"text":...}, {"binary":hex}, {"close":code,"reason":...}
// Exits 0 after the connection closes; the tests judge the events.
'use strict';
const WebSocket = require('ws');
const readline = require('readline');

const ws = new WebSocket(process.argv[2], { maxPayload: 0, handshakeTimeout: 10000 });
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

ws.on('open', () => emit({ event: 'open' }));
ws.on('message', (data, isBinary) => {
  if (isBinary) emit({ event: 'binary', hex: data.toString('hex') });
  else emit({ event: 'text', data: data.toString('utf8') });
});
ws.on('error', (err) => emit({ event: 'error', message: err.message }));
ws.on('unexpected-response', (req, res) => {
  emit({ event: 'http', status: res.statusCode });
  ws.terminate();
});
ws.on('close', (code, reason) => {
  emit({ event: 'close', code, reason: reason.toString() });
  // Let stdout drain before leaving.
  process.stdout.write('', () => process.exit(0));
});

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  const cmd = JSON.parse(line);
  if (ws.readyState !== WebSocket.OPEN) return;
  if ('text' in cmd) ws.send(cmd.text);
  else if ('binary' in cmd) ws.send(Buffer.from(cmd.binary, 'hex'), { binary: true });
  else if ('close' in cmd) ws.close(cmd.close, cmd.reason || '');
});
