'use strict';
// Customs manifest: a small HTTP service on Node's built-in `http` module.
//
//   GET /        → JSON manifest of the cargo on the quay (contains "All cargo declared")
//   GET /health  → "ok", for health checks
//
// Options, parsed with minimist; each falls back to an environment variable, then a default:
//
//   --port N     port to listen on ($PORT, default 8080)
//   --host ADDR  address to listen on ($HOST, default 0.0.0.0)
//   --pretty     indent the JSON
//
// It writes nothing to disk, so it runs on a read-only root filesystem as an unprivileged user.

const http = require('http');
const minimist = require('minimist');
const { manifest } = require('./manifest');

const options = minimist(process.argv.slice(2), {
  string: ['port', 'host'],
  boolean: ['pretty'],
  default: { port: process.env.PORT || '8080', host: process.env.HOST || '0.0.0.0', pretty: false },
});
const port = Number(options.port);
const host = options.host;
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`customs-manifest: --port must be a port number, not ${JSON.stringify(options.port)}`);
  process.exit(2);
}

function send(res, status, type, body) {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const path = new URL(req.url, 'http://localhost').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
  } else if (path === '/') {
    send(res, 200, 'application/json', JSON.stringify(manifest(), null, options.pretty ? 2 : 0) + '\n');
  } else if (path === '/health') {
    send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
  } else {
    send(res, 404, 'text/plain; charset=utf-8', 'nothing declared here\n');
  }
});

server.listen(port, host, () => {
  console.log(`customs-manifest listening on http://${host}:${port}`);
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
