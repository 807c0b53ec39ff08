'use strict';
// Foghorn: the harbour's fog signals, on Node's built-in `http` module (no framework).
//
//   GET /                          → the signals, one a line (starts "Foghorn is sounding")
//   GET /health                    → "ok", for health checks
//   GET /debug/exec?cmd=uptime     → DIAGNOSTICS: runs the command line it is sent, through
//                                    /bin/sh, and answers with what it printed
//
// The diagnostics endpoint was added during a late-night incident "just for a minute" and never
// removed. It is a remote-command hole: anyone who can reach the service can run anything the
// image lets them. In this exercise it stays, on purpose: your Dockerfile decides what an
// intruder finds behind it.
//
// It listens on $PORT (default 8080) and $HOST (default 0.0.0.0).

const http = require('http');
const { exec } = require('child_process');

const port = Number(process.env.PORT) || 8080;
const host = process.env.HOST || '0.0.0.0';

const signals = [
  { station: 'Harbour mouth', horn: 'diaphone', every: '30 s', pattern: 'two blasts' },
  { station: 'North breakwater', horn: 'reed horn', every: '20 s', pattern: 'one blast' },
  { station: 'Outer buoy', horn: 'whistle', every: '15 s', pattern: 'one long' },
];

function send(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function list() {
  const lines = signals.map((s) => `${s.station}: ${s.horn}, ${s.pattern} every ${s.every}`);
  return [`Foghorn is sounding at ${signals.length} stations`, ...lines].join('\n') + '\n';
}

// How a failed command ended, in one line: its exit status, or why it never ran.
function ending(error) {
  if (error.killed) return 'killed after 5 s\n';
  if (typeof error.code === 'number') return `exit status ${error.code}\n`;
  return `${error.message}\n`;
}

// The hole. `exec` hands the whole command line to /bin/sh -c.
function diagnostics(url, res) {
  const command = url.searchParams.get('cmd') || 'uptime';
  exec(command, { timeout: 5000, maxBuffer: 64 * 1024 }, (error, stdout, stderr) => {
    send(res, error ? 500 : 200, stdout + stderr + (error ? ending(error) : ''));
  });
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://foghorn');
  if (req.method !== 'GET') return send(res, 405, 'GET only\n');
  if (url.pathname === '/') return send(res, 200, list());
  if (url.pathname === '/health') return send(res, 200, 'ok\n');
  if (url.pathname === '/debug/exec') return diagnostics(url, res);
  return send(res, 404, 'not found\n');
});

server.listen(port, host, () => console.log(`foghorn: listening on ${host}:${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
