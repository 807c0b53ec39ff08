'use strict';
// Fetches Harbourworks' private packages before `npm ci`, as a private registry would serve
// them: only to a build that presents the registry token.
//
// The workshop has no network, so the "registry" is the private/ folder: every package there is
// stored encrypted (private/NAME.tgz.enc), and this script decrypts it to private/NAME.tgz,
// where package.json's `file:` dependency points. Without the right token there is nothing to
// install, exactly as with a real private registry.
//
//   TOKEN=...                node scripts/fetch-private.js
//   TOKEN_FILE=/path/to/file node scripts/fetch-private.js    (a file that holds the token)
//
// The token itself is never printed and never written anywhere by this script.
//
// Format of a .enc file: a 12-byte IV, a 16-byte GCM authentication tag, then the package
// encrypted with AES-256-GCM under the key SHA-256("harbourworks-registry:" + token). GCM
// authenticates as it decrypts, so a wrong token is detected, never turned into garbage.

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const PRIVATE = path.join(__dirname, '..', 'private');

function fail(message) {
  console.error(`fetch-private: ${message}`);
  process.exit(1);
}

function readToken() {
  if (process.env.TOKEN) {
    return process.env.TOKEN.trim();
  }
  if (process.env.TOKEN_FILE) {
    try {
      return fs.readFileSync(process.env.TOKEN_FILE, 'utf8').trim();
    } catch (error) {
      fail(`cannot read the token file ${process.env.TOKEN_FILE}: ${error.code || error.message}`);
    }
  }
  return '';
}

function decrypt(sealed, token) {
  const key = crypto.createHash('sha256').update(`harbourworks-registry:${token}`).digest();
  const iv = sealed.subarray(0, 12);
  const tag = sealed.subarray(12, 28);
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]);
}

const token = readToken();
if (!token) {
  fail('no registry token: the registry refuses anonymous downloads (401). Set TOKEN or TOKEN_FILE.');
}

const sealed = fs.readdirSync(PRIVATE).filter((name) => name.endsWith('.tgz.enc')).sort();
if (sealed.length === 0) {
  fail(`no packages in ${PRIVATE}`);
}
for (const name of sealed) {
  let tarball;
  try {
    tarball = decrypt(fs.readFileSync(path.join(PRIVATE, name)), token);
  } catch {
    fail(`the registry refused the token for ${name} (403): check the TOKEN build argument`);
  }
  const out = name.replace(/\.enc$/, '');
  fs.writeFileSync(path.join(PRIVATE, out), tarball);
  console.log(`fetch-private: fetched ${out} (${tarball.length} bytes)`);
}
