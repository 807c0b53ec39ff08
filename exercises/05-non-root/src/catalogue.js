'use strict';
// The chandlery's catalogue: data/catalogue.csv, indexed by category.
//
// Indexing is done once at startup, and the index is cached as JSON in the state directory
// (var/ next to the code, unless CHANDLERY_STATE_DIR says otherwise), keyed by the CSV's
// SHA-256, so a restart with an unchanged catalogue reads the cache instead of re-indexing.
// A cache it cannot write is an error: the service refuses to start rather than run without one.

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const CACHE_FILE = 'catalogue-index.json';

// One CSV line → its fields. Fields may be quoted ("a, b"); a doubled quote inside is a quote.
function parseLine(line) {
  const fields = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted && c === '"' && line[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (c === ',' && !quoted) {
      fields.push(field);
      field = '';
    } else {
      field += c;
    }
  }
  fields.push(field);
  return fields;
}

// The CSV text → { categories: { name: [item, ...] }, items: count }, items sorted by name.
function buildIndex(csv) {
  const [header, ...rows] = csv.split(/\r?\n/).filter((line) => line.trim() !== '');
  const columns = parseLine(header);
  const categories = {};
  for (const row of rows) {
    const values = parseLine(row);
    const record = Object.fromEntries(columns.map((name, i) => [name, values[i]]));
    const item = {
      sku: record.sku,
      item: record.item,
      unit: record.unit,
      priceEur: Number(record.price_eur),
      stock: Number(record.stock),
    };
    (categories[record.category] ||= []).push(item);
  }
  for (const items of Object.values(categories)) {
    items.sort((a, b) => a.item.localeCompare(b.item));
  }
  return { categories, items: rows.length };
}

// Loads the catalogue from csvPath, through the cache in stateDir.
function loadCatalogue(csvPath, stateDir) {
  const csv = fs.readFileSync(csvPath, 'utf8');
  const source = crypto.createHash('sha256').update(csv).digest('hex');
  const cachePath = path.join(stateDir, CACHE_FILE);

  try {
    const cached = JSON.parse(fs.readFileSync(cachePath, 'utf8'));
    if (cached.source === source) {
      return { index: cached.index, cachePath, fromCache: true };
    }
  } catch {
    // No cache yet, or an unreadable one: index afresh below.
  }

  const index = buildIndex(csv);
  fs.mkdirSync(stateDir, { recursive: true });
  fs.writeFileSync(cachePath, JSON.stringify({ source, builtAt: new Date().toISOString(), index }));
  return { index, cachePath, fromCache: false };
}

module.exports = { buildIndex, loadCatalogue, parseLine };
