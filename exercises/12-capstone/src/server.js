'use strict';
// Tideway: a small HTTP API on Node's built-in `http` module. It listens on $PORT (default 8080)
// and $HOST (default 0.0.0.0), and writes nothing to disk, so it runs on a read-only root
// filesystem as an unprivileged user. The routes are in app.js.

const http = require('http');
const { handle } = require('./app');

const port = Number(process.env.PORT) || 8080;
const host = process.env.HOST || '0.0.0.0';

const server = http.createServer((req, res) => {
  try {
    handle(req, res);
  } catch (error) {
    console.error(error);
    res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('internal error\n');
  }
});

server.listen(port, host, () => {
  console.log(`tideway listening on http://${host}:${port}`);
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
