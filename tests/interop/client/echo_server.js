// Echo server on Node ws for chat_client's tests: the same paths and the
// same JSON lines on stdout as echo_server.py (read that file's docstring).
// Node's ws also reports the pings it receives ({"ev":"ping"}). Node only:
// with --tls12 (TLS 1.2 at most), the path /renegotiate echoes and, after
// the first message, renegotiates once ({"ev":"renegotiated"}), which
// Python's ssl module cannot do.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const https = require('https');
const { WebSocketServer } = require('ws');

const PING_PAYLOAD = Buffer.from('are you there?');
let host = '127.0.0.1';
let port = 0;
let cert = null;
let key = null;
let tls12 = false;
for (let i = 2; i < process.argv.length; i += 2) {
  if (process.argv[i] === '--tls12') {
    tls12 = true; // TLS 1.3 has no renegotiation, which /renegotiate needs
    i -= 1;
  } else if (process.argv[i] === '--host') host = process.argv[i + 1];
  else if (process.argv[i] === '--port') port = Number(process.argv[i + 1]);
  else if (process.argv[i] === '--cert') cert = fs.readFileSync(process.argv[i + 1]);
  else if (process.argv[i] === '--key') key = fs.readFileSync(process.argv[i + 1]);
}

function emit(event) {
  process.stdout.write(JSON.stringify(event) + '\n');
}

// With --cert and --key: wss:// (TLS), for chat_client's wss cases.
const tlsOptions = { cert, key, maxVersion: tls12 ? 'TLSv1.2' : undefined };
const server = (cert ? (h) => https.createServer(tlsOptions, h) : http.createServer)((req, res) => {
  res.writeHead(404);
  res.end();
});
const wss = new WebSocketServer({
  noServer: true,
  maxPayload: 64 * 1024 * 1024,
  // The first offered protocol we support, in the client's order.
  handleProtocols: (offered) => {
    for (const p of offered) if (p === 'chat' || p === 'superchat') return p;
    return false;
  },
});

// The name the client asked for in its ClientHello (RFC 6455 section 4.1:
// clients MUST use SNI); servername is false without one.
server.on('secureConnection', (s) => emit({ ev: 'tls', sni: s.servername || null }));

server.on('upgrade', (req, socket, head) => {
  if (req.url.startsWith('/notfound')) {
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n' +
               'Content-Length: 17\r\nConnection: close\r\n\r\nno such endpoint\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
});

wss.on('connection', (ws, req) => {
  const path = req.url;
  const headers = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers[req.rawHeaders[i].toLowerCase()] = req.rawHeaders[i + 1];
  emit({ ev: 'open', path, protocol: ws.protocol || null, headers });
  const closeWith = path.startsWith('/close/') ? Number(path.slice(7)) : null;
  if (path.startsWith('/sink/')) {
    req.socket.pause(); // the client's writes back up
    setTimeout(() => req.socket.resume(), Number(path.slice(6)));
    const digest = crypto.createHash('sha256');
    let messages = 0;
    let bytes = 0;
    ws.on('message', (data) => {
      digest.update(data);
      digest.update('\n');
      messages += 1;
      bytes += data.length;
    });
    ws.on('close', (code, reason) => {
      emit({ ev: 'sink', messages, bytes, sha256: digest.digest('hex') });
      emit({ ev: 'close', code, reason: reason.toString() });
    });
    return;
  }
  let renegotiate = path === '/renegotiate';
  ws.on('message', (data, isBinary) => {
    emit({ ev: 'message', binary: isBinary, data_b64: Buffer.from(data).toString('base64') });
    ws.send(data, { binary: isBinary });
    if (renegotiate) {
      // Once, with the client's messages and our echoes in flight: Node
      // refuses a peer whose handshakes come faster (CLIENT_RENEG_LIMIT).
      renegotiate = false;
      req.socket.renegotiate({}, (err) => emit({ ev: 'renegotiated', error: err ? String(err.message) : null,
                                                protocol: req.socket.getProtocol() }));
    }
    if (closeWith !== null) ws.close(closeWith, 'server says bye');
  });
  ws.on('ping', (data) => emit({ ev: 'ping', data_b64: data.toString('base64') }));
  ws.on('pong', (data) => {
    if (data.equals(PING_PAYLOAD)) emit({ ev: 'pong_received', data_b64: data.toString('base64') });
  });
  ws.on('close', (code, reason) => emit({ ev: 'close', code, reason: reason.toString() }));
  ws.on('error', (err) => emit({ ev: 'error', message: String(err.message) }));
  // ws closes the socket on a TLS or TCP error without saying why.
  req.socket.on('error', (err) => emit({ ev: 'socket_error', message: String(err.message) }));
  if (path === '/ping') ws.ping(PING_PAYLOAD);
  else if (path.startsWith('/big/')) ws.send('x'.repeat(Number(path.slice(5))));
});

server.listen(port, host, () => {
  const shown = host.includes(':') ? `[${host}]` : host;
  console.log(`listening on ${shown}:${server.address().port}`);
});
