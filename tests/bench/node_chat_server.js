// The reference the C chat server is measured against: the Node.js chat
// server of the origin story, a ws@8 WebSocketServer that sends every text
// message to every connected client, the sender included, as
// "Server: <message>". Default ws options (no permessage-deflate, 100 MiB
// maxPayload), as the story's server had them.
//
// usage: NODE_PATH=tests/node_modules node tests/bench/node_chat_server.js [PORT]
// PORT 0 (the default) picks a free port; the port is printed as
// "listening on 127.0.0.1:PORT" once the server accepts connections.
'use strict';
const { WebSocketServer, WebSocket } = require('ws');

const port = Number.parseInt(process.argv[2] || '0', 10);
const wss = new WebSocketServer({ host: '127.0.0.1', port });

wss.on('listening', () => {
  console.log(`listening on 127.0.0.1:${wss.address().port}`);
});

wss.on('connection', (ws) => {
  ws.on('error', () => {}); // a client that vanishes must not crash the server
  ws.on('message', (data, isBinary) => {
    const text = `Server: ${isBinary ? data.toString('latin1') : data.toString()}`;
    for (const client of wss.clients) {
      if (client.readyState === WebSocket.OPEN) {
        client.send(text);
      }
    }
  });
});

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => process.exit(0));
}
