// The JavaScript package (js/, the C++ core as WebAssembly) writes the same
// files, byte for byte, as the native CLI: models of human-models and
// standalone manifests of face-api (TFJS_QUANT_FACE_API, the folder
// `scripts/fetch-models.sh face-api` prints; a sample of each that covers
// what they differ in, every one with TFJS_QUANT_SAMPLE=all: bench/compat.sh)
// in uint8, uint16 and float16,
// both from the API (a map of file name -> bytes) and from the package's
// npx CLI (js/bin/tfjs-quant.js); dequantize too; and inspect's JSON is
// the native one from both. Needs js/dist/ (cd js && npm run build).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import * as tq from '../../js/src/index.js';
import {
  NPX_CLI as NPX, makeTempDir, missing, modelFiles, readEnv, removeDir, runCli, runSuite, sampleModels,
} from './helpers.mjs';

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

const WIRE_BELOW = 4 << 20;

const FLAGS = { uint8: '--quantize_uint8', uint16: '--quantize_uint16', float16: '--quantize_float16' };

/**
 * Quantizes `jsonName` of `folder` three ways (native CLI, JS API, npx CLI)
 * in every dtype, dequantizes the uint8 output, and inspects.
 */
async function compareWithCli(bin, folder, jsonName) {
  const files = modelFiles(folder, jsonName);
  const model = path.join(folder, jsonName);
  const tmp = await makeTempDir('js-identity');
  try {
    for (const [option, flag] of Object.entries(FLAGS)) {
      const out = path.join(tmp, option);
      await runCli(bin, ['quantize', model, out, flag]);
      const expected = folderFiles(out);
      const got = await tq.quantize(files, { [option]: true });
      assertSameFiles(got.files, expected, `${jsonName} ${option}`);
      await runCli(NPX, ['quantize', model, `${out}-npx`, flag]);
      assertSameFiles(folderFiles(`${out}-npx`), expected, `${jsonName} ${option} (npx)`);
    }
    const uint8 = path.join(tmp, 'uint8');
    const out = path.join(tmp, 'dequantized');
    await runCli(bin, ['dequantize', uint8, out]);
    const got = await tq.dequantize(folderFiles(uint8));
    assertSameFiles(got.files, folderFiles(out), `${jsonName} dequantize`);
    await runCli(NPX, ['dequantize', uint8, `${out}-npx`]);
    assertSameFiles(folderFiles(`${out}-npx`), folderFiles(out), `${jsonName} dequantize (npx)`);

    // The whole report, wire sizes included, from npx on every model; the
    // API's (the same module code) with them on the models under 4 MiB (26
    // of human-models' 41, and face-api's), where gzip and brotli are quick.
    const { stdout: native } = await runCli(bin, ['inspect', '--json', model]);
    const { stdout: npx } = await runCli(NPX, ['inspect', '--json', model]);
    assert.equal(npx, native, `${jsonName}: npx inspect --json`);
    let bytes = 0;
    for (const [name, b] of files) if (name !== jsonName) bytes += b.length;
    const wire = bytes < WIRE_BELOW;
    const expected = wire ? native : (await runCli(bin, ['inspect', '--json', '--no-wire', model])).stdout;
    // The API shows the model by its JSON's name, not a path.
    assert.deepEqual(await tq.inspect(files, { wire }), { ...JSON.parse(expected), model: jsonName },
                     `${jsonName}: inspect()`);
  } finally {
    await removeDir(tmp);
  }
}

await runSuite(readEnv(), ({ bin, models, modelFiles: all }) => {
  for (const jsonName of sampleModels(all)) {
    test(`JS API = CLI: ${jsonName}`, () => compareWithCli(bin, models, jsonName));
  }
  const faceApi = process.env.TFJS_QUANT_FACE_API;
  if (!faceApi || !fs.existsSync(faceApi)) {
    missing('TFJS_QUANT_FACE_API', 'TFJS_QUANT_FACE_API is not set to a folder: point it at the folder printed by ' +
                                   'scripts/fetch-models.sh face-api');
    return;
  }
  const manifests = fs.readdirSync(faceApi).filter((f) => f.endsWith('weights_manifest.json')).sort();
  test('face-api holds its 7 standalone manifests', () => assert.equal(manifests.length, 7));
  for (const jsonName of sampleModels(manifests)) {
    test(`JS API = CLI: face-api ${jsonName}`, () => compareWithCli(bin, faceApi, jsonName));
  }
});
