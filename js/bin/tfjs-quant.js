#!/usr/bin/env node
// npx tfjs-quant: the native CLI's own C++ (tools/), compiled to WebAssembly
// with emscripten's NODERAWFS, so it reads and writes through Node's file
// system with the native tool's flags, messages, output folder policy and
// exit codes. Everything but `auto`, which runs evaluator processes.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const createCli = require('../dist/tfjs_quant_cli.cjs');

// The .wasm is handed over as bytes: emscripten's own loader would hand
// Node's fetch a file path.
createCli({
  wasmBinary: readFileSync(new URL('../dist/tfjs_quant_cli.wasm', import.meta.url)),
  arguments: process.argv.slice(2),
  thisProgram: 'tfjs-quant',
});
