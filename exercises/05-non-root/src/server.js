'use strict';
// Chandlery: the harbour chandlery's price list, on Node's built-in `http` module (no framework).
//
//   GET /                       → what is in stock, by category (starts "Chandlery is open")
//   GET /items?category=rope    → the items of one category, as JSON
//   GET /health                 → "ok", for health checks
//
// It listens on $PORT (default 8080) and $HOST (default 0.0.0.0). At startup it indexes
// data/catalogue.csv and caches the index in $CHANDLERY_STATE_DIR (default: var/, next to the
// code); if it cannot write there, it stops with an error.

const http = require('http');
const path = require('path');
const { loadCatalogue } = require('./catalogue');

const port = Number(process.env.PORT) || 8080;
const host = process.env.HOST || '0.0.0.0';
const appDir = path.join(__dirname, '..');
const stateDir = process.env.CHANDLERY_STATE_DIR || path.join(appDir, 'var');

let catalogue;
try {
  catalogue = loadCatalogue(path.join(appDir, 'data', 'catalogue.csv'), stateDir);
} catch (error) {
  const uid = typeof process.getuid === 'function' ? process.getuid() : '?';
  console.error(`chandlery: cannot cache the catalogue index in ${stateDir} (running as uid ${uid}): ${error.message}`);
  console.error('chandlery: give this user a writable state directory, or set CHANDLERY_STATE_DIR to one');
  process.exit(1);
}
const { index } = catalogue;
console.log(`chandlery: catalogue of ${index.items} items ${catalogue.fromCache ? 'read from' : 'indexed and cached in'} ${catalogue.cachePath}`);

function send(res, status, type, body) {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function priceList() {
  const lines = [`Chandlery is open: ${index.items} items in ${Object.keys(index.categories).length} categories`];
  for (const [category, items] of Object.entries(index.categories).sort()) {
    lines.push('', `${category}:`);
    for (const { item, unit, priceEur, stock } of items) {
      const price = `EUR ${priceEur.toFixed(2).padStart(6)}`;
      lines.push(`  ${item.padEnd(38)} ${price} per ${unit}${stock === 0 ? '  (sold out)' : ''}`);
    }
  }
  return lines.join('\n') + '\n';
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
  } else if (url.pathname === '/') {
    send(res, 200, 'text/plain; charset=utf-8', priceList());
  } else if (url.pathname === '/items') {
    const items = index.categories[url.searchParams.get('category')];
    if (items) {
      send(res, 200, 'application/json', JSON.stringify(items) + '\n');
    } else {
      send(res, 404, 'text/plain; charset=utf-8', `no such category; try one of: ${Object.keys(index.categories).join(', ')}\n`);
    }
  } else if (url.pathname === '/health') {
    send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
  } else {
    send(res, 404, 'text/plain; charset=utf-8', 'not on our shelves\n');
  }
});

server.listen(port, host, () => {
  console.log(`chandlery listening on http://${host}:${port}`);
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
