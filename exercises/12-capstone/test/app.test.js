'use strict';
// `npm test`: the routes, through a real HTTP server on a free port.
const test = require('node:test');
const assert = require('node:assert');
const http = require('http');
const { handle } = require('../src/app');

// Connect to the address the server listens on: `localhost` may resolve to ::1 first (it does in
// BuildKit's build containers), where nothing listens.
function get(server, path, method = 'GET') {
  const { address: host, port } = server.address();
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path, method }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('routes', async (t) => {
  const server = http.createServer(handle);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());

  const home = await get(server, '/');
  assert.strictEqual(home.status, 200);
  assert.match(home.body, /Saltmarsh estuary/);
  assert.deepStrictEqual(JSON.parse(home.body).ports.map((p) => p.id), ['saltmarsh', 'east-spit', 'oyster-creek']);

  const tides = await get(server, '/tides/saltmarsh?date=2026-11-26');
  assert.strictEqual(tides.status, 200);
  const day = JSON.parse(tides.body);
  assert.strictEqual(day.port, 'Saltmarsh Harbour');
  assert.strictEqual(day.highWaters.length, 2);
  assert.strictEqual(day.lowWaters.length, 2);
  for (const hw of day.highWaters) assert.ok(hw.height > 3.5 && hw.height < 5.5, JSON.stringify(hw));

  assert.strictEqual((await get(server, '/tides/atlantis')).status, 404);
  assert.strictEqual((await get(server, '/tides/saltmarsh?date=26.11.2026')).status, 400);
  assert.strictEqual((await get(server, '/health')).body, 'ok\n');
  assert.strictEqual((await get(server, '/nowhere')).status, 404);
  assert.strictEqual((await get(server, '/', 'POST')).status, 405);
});
