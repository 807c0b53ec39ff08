'use strict';
// Flag locker: spells words in signal flags, on Node's built-in `http` module (no framework).
// The flags and their meanings come from @harbourworks/signal-flags, a package on
// Harbourworks' private registry: the build needs a token to fetch it (see README.md).
//
//   GET /                  → "Flag locker: 26 signal flags ready"
//   GET /spell?text=SOS    → the flags that spell the text, with the meaning of each
//   GET /flag/Q            → one flag, as JSON
//   GET /health            → "ok", for health checks
//
// It listens on $PORT (default 8080) and $HOST (default 0.0.0.0), and writes nothing to disk.

const http = require('http');
const { flags, lookup, spell } = require('@harbourworks/signal-flags');

const port = Number(process.env.PORT) || 8080;
const host = process.env.HOST || '0.0.0.0';

function send(res, status, type, body) {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const text = (res, status, body) => send(res, status, 'text/plain; charset=utf-8', body);

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const flagPath = url.pathname.match(/^\/flag\/([A-Za-z])$/);
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    text(res, 405, 'method not allowed\n');
  } else if (url.pathname === '/') {
    text(res, 200, `Flag locker: ${flags.length} signal flags ready. Try /spell?text=SOS\n`);
  } else if (url.pathname === '/spell') {
    const hoist = spell(url.searchParams.get('text') || '');
    if (hoist.length === 0) {
      text(res, 400, 'give some letters to spell: /spell?text=SOS\n');
    } else {
      text(res, 200, hoist.map((f) => `${f.letter}  ${f.name.padEnd(9)} ${f.meaning}`).join('\n') + '\n');
    }
  } else if (flagPath) {
    send(res, 200, 'application/json', JSON.stringify(lookup(flagPath[1])) + '\n');
  } else if (url.pathname === '/health') {
    text(res, 200, 'ok\n');
  } else {
    text(res, 404, 'no such flag in the locker\n');
  }
});

server.listen(port, host, () => {
  console.log(`flag-locker listening on http://${host}:${port}`);
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
