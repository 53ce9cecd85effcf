// The peer a web team would write instead of the bridge: a minimal Node.js
// `ws` broadcast server. Every message from a publisher (/publish) goes to
// every other connected client, as it is. nanokit-bench starts it for the
// side-by-side fanout and idle runs; it prints "listening on HOST:PORT".
import { WebSocketServer, WebSocket } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('listening', () => console.log(`listening on 127.0.0.1:${wss.address().port}`));
wss.on('connection', (socket, request) => {
  if (request.url !== '/publish') return;
  socket.on('message', (data, isBinary) => {
    for (const client of wss.clients) {
      if (client !== socket && client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
    }
  });
});
process.on('SIGTERM', () => process.exit(0));
