'use strict';
// Tideway's routes, as a plain request handler (server.js listens; the tests call it directly).
//
//   GET /                         → what the service is, and the ports it knows
//   GET /tides/<port>?date=DATE   → high and low waters at <port> on DATE (YYYY-MM-DD, UTC;
//                                   default today), computed by @saltmarsh/tides
//   GET /health                   → "ok", for health checks

const { predict } = require('@saltmarsh/tides');
const ports = require('./ports');
const { version } = require('../package.json');

function send(res, status, body) {
  const text = typeof body === 'string' ? body : JSON.stringify(body) + '\n';
  const type = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function handle(req, res) {
  const url = new URL(req.url, 'http://localhost');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return send(res, 405, 'method not allowed\n');
  }
  if (url.pathname === '/') {
    return send(res, 200, {
      service: 'tideway',
      version,
      message: 'Tideway: high and low water for the Saltmarsh estuary. Not for navigation.',
      ports: ports.list(),
      try: '/tides/saltmarsh?date=2026-11-26',
    });
  }
  if (url.pathname === '/health') {
    return send(res, 200, 'ok\n');
  }
  const match = /^\/tides\/([a-z-]+)$/.exec(url.pathname);
  if (match) {
    const port = ports.find(match[1]);
    if (!port) {
      return send(res, 404, { error: `no tide predictions for "${match[1]}"`, ports: ports.list() });
    }
    const date = url.searchParams.get('date') || new Date().toISOString().slice(0, 10);
    try {
      return send(res, 200, predict(port, date));
    } catch (error) {
      if (error instanceof RangeError) return send(res, 400, { error: error.message });
      throw error;
    }
  }
  return send(res, 404, 'no such chart\n');
}

module.exports = { handle };
