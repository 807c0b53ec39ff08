'use strict';
// The build step (`npm run build`): minify every src/*.js into dist/ with uglify-js.
// uglify-js is a devDependency: it is needed here, at build time, and never at runtime.

const fs = require('fs');
const path = require('path');
const UglifyJS = require('uglify-js');

const root = path.join(__dirname, '..');
const srcDir = path.join(root, 'src');
const distDir = path.join(root, 'dist');

fs.rmSync(distDir, { recursive: true, force: true });
fs.mkdirSync(distDir, { recursive: true });

for (const name of fs.readdirSync(srcDir).filter((n) => n.endsWith('.js')).sort()) {
  const code = fs.readFileSync(path.join(srcDir, name), 'utf8');
  const result = UglifyJS.minify(code, { compress: true, mangle: true });
  if (result.error) {
    console.error(`build: ${name}: ${result.error.message}`);
    process.exit(1);
  }
  fs.writeFileSync(path.join(distDir, name), result.code + '\n');
  console.log(`build: src/${name} (${code.length} bytes) → dist/${name} (${result.code.length} bytes)`);
}
