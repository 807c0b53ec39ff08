'use strict';
// The ports Tideway knows and their harmonic constants, from data/ports.json.
//
// The constants are licensed: Tideway may use them, but the repository must not publish them.
// So the repository holds only data/ports.json.enc, and the build decrypts it with the key in
// the TIDES_DATA_KEY build argument (see README.md). The decrypted file is read once, at start-up.

const fs = require('fs');
const path = require('path');

const FILE = path.join(__dirname, '..', 'data', 'ports.json');

function load() {
  let text;
  try {
    text = fs.readFileSync(FILE, 'utf8');
  } catch (error) {
    throw new Error(`${FILE} is missing: decrypt data/ports.json.enc first (see README.md)`, { cause: error });
  }
  const data = JSON.parse(text);
  return Object.fromEntries(Object.entries(data.ports).map(([id, port]) => [id, { ...port, epoch: data.epoch }]));
}

const PORTS = load();

function find(id) {
  return Object.prototype.hasOwnProperty.call(PORTS, id) ? PORTS[id] : undefined;
}

function list() {
  return Object.entries(PORTS).map(([id, port]) => ({ id, name: port.name }));
}

module.exports = { find, list };
