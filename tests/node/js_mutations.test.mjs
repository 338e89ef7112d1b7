// Robustness from JavaScript: 1,000 seeded mutations of a real model's JSON
// and shards (byte flips, truncations, insertions, numbers and names swapped
// in the manifest) through the package's quantize(), dequantize() and
// quantizeTensors(). Each call returns or throws a TfjsQuantError with a
// code other than INTERNAL (no trap, no other exception), and the module's
// heap is what it was before. Needs js/dist/ (cd js && npm run build).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as tq from '../../js/src/index.js';
import { modelFiles, readEnv, runSuite } from './helpers.mjs';

// A small deterministic generator (mulberry32): the same mutations every run.
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// JSON-aware edits: what a broken exporter or a hand edit produces.
const TOKENS = ['-1', '0', '1e308', '4294967297', '18446744073709551616', '1.5', 'null', 'true', '"x"', '[]', '{}',
                '"float16"', '"uint8"', '"string"', '"../x.bin"', '"group1-shard1of1.bin"', '[[[[[[', '"\\u0000"'];

function mutate(bytes, r, isJson) {
  const b = Array.from(bytes);
  const pick = (n) => Math.floor(r() * n);
  const edits = 1 + pick(4);
  for (let e = 0; e < edits; ++e) {
    const at = pick(b.length + 1);
    switch (pick(isJson ? 6 : 4)) {
      case 0: if (b.length) b[Math.min(at, b.length - 1)] ^= 1 << pick(8); break;   // flip a bit
      case 1: b.length = at; break;                                                // truncate
      case 2: b.splice(at, 0, ...Array.from({ length: 1 + pick(8) }, () => pick(256))); break;  // insert bytes
      case 3: b.splice(at, 1 + pick(16)); break;                                   // delete bytes
      case 4: {  // replace a number with another token
        const s = Buffer.from(b).toString('latin1');
        const m = [...s.matchAll(/-?\d+(\.\d+)?(e[+-]?\d+)?/g)];
        if (m.length) {
          const hit = m[pick(m.length)];
          const t = Buffer.from(TOKENS[pick(TOKENS.length)], 'latin1');
          b.splice(hit.index, hit[0].length, ...t);
        }
        break;
      }
      default: {  // replace a string with another token
        const s = Buffer.from(b).toString('latin1');
        const m = [...s.matchAll(/"[^"\\]{0,40}"/g)];
        if (m.length) {
          const hit = m[pick(m.length)];
          const t = Buffer.from(TOKENS[pick(TOKENS.length)], 'latin1');
          b.splice(hit.index, hit[0].length, ...t);
        }
      }
    }
  }
  return Uint8Array.from(b);
}

await runSuite(readEnv(), ({ models }) => {
  test('1,000 seeded mutations of a model: each returns or throws a TfjsQuantError; the heap stays flat', async () => {
    const json = 'blazeface.json';
    const files = modelFiles(models, json);
    const module = await tq.ready();
    await tq.quantize(files, { uint8: true });
    const heap = module.exports.tfq_heap_in_use();
    const r = rng(20261130);
    const codes = new Map();
    for (let i = 0; i < 1000; ++i) {
      const mutated = new Map(files);
      const names = [...files.keys()];
      const target = r() < 0.7 ? json : names[1 + Math.floor(r() * (names.length - 1))];
      mutated.set(target, mutate(files.get(target), r, target === json));
      const call = i % 5 === 4 ? tq.dequantize(mutated) : tq.quantize(mutated, { [['uint8', 'uint16', 'float16'][i % 3]]: true });
      const outcome = await call.then(() => 'ok', (e) => e);
      if (outcome !== 'ok') {
        assert.ok(outcome instanceof tq.TfjsQuantError, `mutation ${i} of ${target}: ${outcome?.stack ?? outcome}`);
        assert.notEqual(outcome.code, 'INTERNAL', `mutation ${i} of ${target}: ${outcome.message}`);
        assert.ok(!/[\u0000-\u0008\u000b-\u001f]/.test(outcome.message), `control characters in: ${outcome.message}`);
      }
      const key = outcome === 'ok' ? 'ok' : outcome.code;
      codes.set(key, (codes.get(key) ?? 0) + 1);
    }
    // Mutations must exercise the errors, not only the happy path.
    assert.ok(codes.size >= 4 && (codes.get('ok') ?? 0) < 900, `outcomes: ${JSON.stringify([...codes])}`);
    assert.equal((await tq.ready()), module, 'no call retired the instance (no trap)');
    assert.equal(module.exports.tfq_heap_in_use(), heap, 'heap bytes in use');
  });
});
