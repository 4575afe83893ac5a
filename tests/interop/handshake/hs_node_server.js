// Node `ws` echo server for the libwsframe test client.
// Listens on 127.0.0.1, port 0; prints "listening on PORT".
// Subprotocols it accepts, in its order of preference: chat.v1, chat.v3.
// GET /missing is refused with 404 Not Found.
'use strict';
const { WebSocketServer } = require('ws');

const preferred = ['chat.v1', 'chat.v3'];
const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  handleProtocols: (offered) => preferred.find((p) => offered.has(p)) || false,
  verifyClient: (info, cb) => {
    if (info.req.url === '/missing') cb(false, 404, 'Not Found');
    else cb(true);
  },
});
wss.on('listening', () => console.log(`listening on ${wss.address().port}`));
wss.on('connection', (ws, req) => {
  console.log(`connection ${req.url} protocol=${ws.protocol || '(none)'}`);
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
