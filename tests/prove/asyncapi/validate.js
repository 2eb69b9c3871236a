// Validates AsyncAPI documents with the official parser (@asyncapi/parser), as
// tests/notebook/test_prove_asyncapi.py asks:
//
//   node validate.js FILE.yaml|FILE.json ...
//
// Prints one JSON line per file: {"file", "errors": [...], "warnings": [...], "version"}
// (a diagnostic is {"code", "message", "path"}), and exits 1 if any file has an error
// (severity 0) or could not be parsed into a document.
"use strict";

const fs = require("node:fs");
const { Parser } = require("@asyncapi/parser");

async function check(file) {
  const parser = new Parser();
  const { document, diagnostics } = await parser.parse(fs.readFileSync(file, "utf8"), { source: file });
  const pick = (d) => ({ code: d.code, message: d.message, path: d.path });
  const errors = diagnostics.filter((d) => d.severity === 0).map(pick);
  const warnings = diagnostics.filter((d) => d.severity === 1).map(pick);
  return { file, version: document ? document.version() : null, parsed: Boolean(document), errors, warnings };
}

(async () => {
  const files = process.argv.slice(2);
  if (!files.length) {
    process.stderr.write("usage: node validate.js FILE ...\n");
    process.exit(2);
  }
  let failed = false;
  for (const file of files) {
    const result = await check(file);
    failed = failed || !result.parsed || result.errors.length > 0;
    process.stdout.write(JSON.stringify(result) + "\n");
  }
  process.exit(failed ? 1 : 0);
})().catch((err) => {
  process.stderr.write(`validate.js: ${err.stack || err}\n`);
  process.exit(2);
});
