// Quantizes a model folder through the npm package (the WebAssembly core) as
// a Node user would: every file of IN read into a Map, quantize(), every
// output file written to OUT. bench/wasm.sh times it against the native CLI.
// Usage: node bench/wasm_quantize.mjs IN OUT uint8|uint16|float16
import fs from 'node:fs';
import path from 'node:path';

import { quantize, ready } from '../js/src/index.js';

const [input, output, dtype] = process.argv.slice(2);
await ready();
const files = new Map(fs.readdirSync(input).map((f) => [f, fs.readFileSync(path.join(input, f))]));
const t0 = performance.now();
const { files: out } = await quantize(files, { [dtype]: true });
const ms = performance.now() - t0;
fs.mkdirSync(output);
for (const [name, bytes] of out) fs.writeFileSync(path.join(output, name), bytes);
// The call alone, without Node's start, the compile and the file system.
console.error(`quantize() ${ms.toFixed(1)} ms`);
