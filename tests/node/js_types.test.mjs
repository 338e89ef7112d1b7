// The package's TypeScript declarations (js/src/index.d.ts) compile with
// tsc --strict against tfjs 4.22's own types, used as docs/javascript.md
// shows (types/usage.ts): saving through withQuantization, artifacts in and
// out, named tensors into tf.io.decodeWeights, the error's codes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

test('index.d.ts compiles with tfjs types (tsc --strict types/usage.ts)', async () => {
  const tsc = path.join(HERE, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = await new Promise((resolve) => {
    execFile(process.execPath, [tsc, '-p', path.join(HERE, 'types', 'tsconfig.json')], (err, stdout, stderr) =>
      resolve({ code: err ? err.code : 0, out: stdout + stderr }));
  });
  assert.equal(result.code, 0, `tsc found errors:\n${result.out}`);
});
