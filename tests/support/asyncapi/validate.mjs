// Parses an AsyncAPI document with the official parser and prints its diagnostics as JSON.
// Usage: node validate.mjs <document.json>; exits 0 whatever the diagnostics say (the caller
// judges them), 2 when the parser cannot be loaded or the file cannot be read.
import fs from 'node:fs';

let Parser;
try {
  ({ Parser } = await import('@asyncapi/parser'));
} catch (error) {
  console.error(`cannot load @asyncapi/parser: ${error.message}`);
  process.exit(2);
}

const [path] = process.argv.slice(2);
let text;
try {
  text = fs.readFileSync(path, 'utf8');
} catch (error) {
  console.error(`cannot read ${path}: ${error.message}`);
  process.exit(2);
}

// Spectral's severities: 0 error, 1 warning, 2 information, 3 hint.
const names = ['error', 'warning', 'information', 'hint'];
const { diagnostics } = await new Parser().parse(text);
const report = diagnostics.map((d) => ({
  severity: names[d.severity] ?? String(d.severity),
  code: String(d.code),
  message: d.message,
  path: d.path.join('/'),
}));
console.log(JSON.stringify(report));
