// The JavaScript package (js/, the C++ core as WebAssembly) writes the same
// files, byte for byte, as the native CLI: every model of human-models and
// every standalone manifest of face-api (TFJS_QUANT_FACE_API, the folder
// `scripts/fetch-models.sh face-api` prints) in uint8, uint16 and float16,
// from a map of file name -> bytes; dequantize too. Needs js/dist/
// (cd js && npm run build).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import * as tq from '../../js/src/index.js';
import { makeTempDir, modelFiles, readEnv, removeDir, runCli, runSuite } from './helpers.mjs';

/** Every file of a CLI output folder, by name. */
function folderFiles(dir) {
  return new Map(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f))]));
}

function assertSameFiles(got, expected, label) {
  assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort(), `${label}: file names`);
  for (const [name, bytes] of expected) {
    assert.ok(Buffer.from(got.get(name)).equals(bytes), `${label}: ${name} differs from the CLI's`);
  }
}

const FLAGS = { uint8: '--quantize_uint8', uint16: '--quantize_uint16', float16: '--quantize_float16' };

/** Quantizes `jsonName` of `folder` both ways in every dtype, then dequantizes the uint8 output. */
async function compareWithCli(bin, folder, jsonName) {
  const files = modelFiles(folder, jsonName);
  const tmp = await makeTempDir('js-identity');
  try {
    for (const [option, flag] of Object.entries(FLAGS)) {
      const out = path.join(tmp, option);
      await runCli(bin, ['quantize', path.join(folder, jsonName), out, flag]);
      const got = await tq.quantize(files, { [option]: true });
      assertSameFiles(got.files, folderFiles(out), `${jsonName} ${option}`);
    }
    const out = path.join(tmp, 'dequantized');
    await runCli(bin, ['dequantize', path.join(tmp, 'uint8'), out]);
    const got = await tq.dequantize(folderFiles(path.join(tmp, 'uint8')));
    assertSameFiles(got.files, folderFiles(out), `${jsonName} dequantize`);
  } finally {
    await removeDir(tmp);
  }
}

await runSuite(readEnv(), ({ bin, models, modelFiles: jsons }) => {
  for (const jsonName of jsons) {
    test(`JS API = CLI: ${jsonName}`, () => compareWithCli(bin, models, jsonName));
  }
  const faceApi = process.env.TFJS_QUANT_FACE_API;
  if (!faceApi || !fs.existsSync(faceApi)) {
    test('environment (TFJS_QUANT_FACE_API)', () => {
      assert.fail('TFJS_QUANT_FACE_API is not set to a folder: point it at the folder printed by ' +
                  'scripts/fetch-models.sh face-api');
    });
    return;
  }
  const manifests = fs.readdirSync(faceApi).filter((f) => f.endsWith('weights_manifest.json')).sort();
  test('face-api holds its 7 standalone manifests', () => assert.equal(manifests.length, 7));
  for (const jsonName of manifests) {
    test(`JS API = CLI: face-api ${jsonName}`, () => compareWithCli(bin, faceApi, jsonName));
  }
});
