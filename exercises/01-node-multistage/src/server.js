'use strict';
// Harbour master: a small HTTP service on Node's built-in `http` module (no framework).
//
//   GET /        → JSON report of the harbour (contains "harbour-master")
//   GET /health  → "ok", for health checks
//
// It listens on $PORT (default 8080) and $HOST (default 0.0.0.0), and writes nothing to disk,
// so it runs happily on a read-only root filesystem as an unprivileged user.

const http = require('http');
const { harbourReport } = require('./berths');

const port = Number(process.env.PORT) || 8080;
const host = process.env.HOST || '0.0.0.0';

function send(res, status, type, body) {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const path = new URL(req.url, 'http://localhost').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
  } else if (path === '/') {
    send(res, 200, 'application/json', JSON.stringify(harbourReport()) + '\n');
  } else if (path === '/health') {
    send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
  } else {
    send(res, 404, 'text/plain; charset=utf-8', 'no such berth\n');
  }
});

server.listen(port, host, () => {
  console.log(`harbour-master listening on http://${host}:${port}`);
});

// In a container this process is PID 1, which gets no default signal handling:
// without these handlers `docker stop` waits 10 seconds and then kills it.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    console.log(`${signal} received, closing`);
    server.close(() => process.exit(0));
    server.closeIdleConnections(); // let keep-alive clients go too (Node 18.2+)
  });
}
