// `tfjs-quant inspect --json` predicts, per tensor, the SQNR that quantizing
// to uint8, uint16 and float16 will cause. This file checks the prediction
// against what a user measures: quantize the model with the CLI, decode both
// the original and the quantized weights with stock tfjs-core 4.22.0
// (tf.io.decodeWeights), and compute SQNR = 10*log10(sum x^2 / sum (x'-x)^2)
// in float64 here in JS, over the whole tensor and per output channel (on the
// channel axis inspect reports). It also checks the reported byte totals
// against the shard files quantize writes.
//
// Run: TFJS_QUANT_BIN=/path/to/tfjs-quant TFJS_QUANT_MODELS=/path/to/models node --test
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  findJson, keptWeights, makeTempDir, manifestOf, readConcatenated, readEnv, readJson, removeDir, runCli, tf,
  runSuite,
} from './helpers.mjs';

const env = readEnv();
const DTYPES = ['uint8', 'uint16', 'float16'];
const TOLERANCE_DB = 0.1;

// Real models covering every stored encoding: float32 (posenet, faceres-deep,
// iris, emotion), float16 (faceboxes with an Inf weight, selfie) and uint8
// (handtrack; rvm with bool weights too). `emotion-standalone` is emotion's
// weights as a standalone *weights_manifest.json.
const MODELS = ['posenet', 'faceres-deep', 'faceboxes', 'handtrack', 'rvm', 'iris', 'emotion', 'selfie'];
const STANDALONE = { name: 'emotion-standalone', from: 'emotion' };

// Counters for the summary test at the end.
const compared = { whole: 0, channel: 0, tensors: new Set(), models: new Set() };

await runSuite(env, registerTests);

// --- measuring ---------------------------------------------------------------

/** 10*log10(signal/noise) like inspect: +Infinity when exact, -Infinity when the signal is 0 and the noise not. */
function sqnrDb(signal, noise) {
  if (noise === 0) return Infinity;
  if (signal === 0) return -Infinity;
  return 10 * Math.log10(signal / noise);
}

/**
 * Whole-tensor and per-channel SQNR of `q` against `x` (both Float32Arrays),
 * in float64. Channel of element i: floor(i / inner) % C, C = shape[axis],
 * inner = product of the dims after `axis`. Channels with neither signal nor
 * noise are left out of the worst (as inspect does). axis < 0: worst = whole.
 */
function measure(x, q, shape, axis) {
  let sig = 0;
  let noise = 0;
  let C = 1;
  let inner = 1;
  if (axis >= 0) {
    C = Math.max(1, shape[axis]);
    for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
    inner = Math.max(1, inner);
  }
  const csig = new Float64Array(C);
  const cnoise = new Float64Array(C);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const d = q[i] - v;
    const c = Math.floor(i / inner) % C;
    sig += v * v;
    noise += d * d;
    csig[c] += v * v;
    cnoise[c] += d * d;
  }
  const whole = sqnrDb(sig, noise);
  if (axis < 0) return { whole, worst: whole, worstChannel: -1 };
  let worst = Infinity;
  let worstChannel = -1;
  for (let c = 0; c < C; c++) {
    if (csig[c] === 0 && cnoise[c] === 0) continue;
    const s = sqnrDb(csig[c], cnoise[c]);
    if (worstChannel < 0 || s < worst) {
      worst = s;
      worstChannel = c;
    }
  }
  return { whole, worst, worstChannel };
}

/** JSON null means an infinite SQNR (exact decode); anything else must be within TOLERANCE_DB. */
function sameDb(predicted, measured) {
  if (predicted === null) return !Number.isFinite(measured);
  if (!Number.isFinite(measured)) return false;
  return Math.abs(predicted - measured) <= TOLERANCE_DB;
}

function fmtDb(v) {
  if (v === null) return 'null (exact)';
  if (v === Infinity) return 'Infinity (exact)';
  return typeof v === 'number' ? v.toFixed(4) : String(v);
}

/** Decodes every weight of a manifest with tf.io.decodeWeights; returns Map name -> {dtype, shape, values}. */
function decodeAll(dir, manifest) {
  const specs = manifest.flatMap((g) => g.weights);
  const tensors = tf.io.decodeWeights(readConcatenated(dir, manifest), specs);
  const out = new Map();
  try {
    for (const spec of specs) {
      const t = tensors[spec.name];
      assert.ok(t, `tfjs decoded no tensor for weight ${spec.name} in ${dir}`);
      out.set(spec.name, { dtype: t.dtype, shape: t.shape, values: t.dataSync().slice() });
    }
  } finally {
    tf.dispose(Object.values(tensors));
  }
  return out;
}

function shardBytes(dir, manifest) {
  return manifest.flatMap((g) => g.paths).reduce((n, p) => n + fs.statSync(path.join(dir, p)).size, 0);
}

/** Writes `<dir>/<name>-weights_manifest.json` holding a model's manifest alone, shards copied beside it. */
function writeStandalone(jsonPath, dir, name) {
  const manifest = manifestOf(readJson(jsonPath));
  for (const g of manifest) {
    for (const p of g.paths) fs.copyFileSync(path.join(path.dirname(jsonPath), p), path.join(dir, p));
  }
  const file = path.join(dir, `${name}-weights_manifest.json`);
  fs.writeFileSync(file, JSON.stringify(manifest));
  return file;
}

// --- registration --------------------------------------------------------------

function registerTests({ bin, models }) {
  describe('inspect --json: predicted SQNR equals the SQNR measured on tfjs-decoded quantize output', () => {
    let standaloneDir;
    before(async () => {
      standaloneDir = await makeTempDir('standalone');
    });
    after(() => removeDir(standaloneDir));

    const sources = [
      ...MODELS.map((name) => ({ name, jsonPath: () => path.join(models, `${name}.json`) })),
      { name: STANDALONE.name, jsonPath: () => writeStandalone(path.join(models, `${STANDALONE.from}.json`), standaloneDir, STANDALONE.name) },
    ];

    for (const source of sources) {
      describe(source.name, () => {
        // Shared by the three dtype tests: the report and tfjs's decode of the original.
        let jsonPath;
        let report;
        let original;
        before(async () => {
          jsonPath = source.jsonPath();
          assert.ok(fs.existsSync(jsonPath), `${jsonPath} is missing (TFJS_QUANT_MODELS)`);
          const { stdout } = await runCli(bin, ['inspect', jsonPath, '--json']);
          report = JSON.parse(stdout);
          original = decodeAll(path.dirname(jsonPath), manifestOf(readJson(jsonPath)));
        });

        test('the report covers every weight; totals.stored.bytes == the shard files', () => {
          const manifest = manifestOf(readJson(jsonPath));
          if (source.name === STANDALONE.name) assert.equal(report.format, 'standalone weights manifest');
          assert.deepEqual(report.tensors.map((t) => t.name).sort(), [...original.keys()].sort(),
            'inspect reports exactly the weights of the manifest');
          for (const t of report.tensors) {
            assert.equal(t.dtype, original.get(t.name).dtype, `weight ${t.name}: dtype`);
            assert.deepEqual(t.shape, original.get(t.name).shape, `weight ${t.name}: shape`);
            assert.equal(t.quantizable, t.dtype === 'float32', `weight ${t.name} (${t.dtype}): quantizable`);
          }
          assert.equal(report.totals.stored.bytes, shardBytes(path.dirname(jsonPath), manifest),
            'totals.stored.bytes == sum of the input shard sizes');
        });

        for (const dtype of DTYPES) {
          test(`--quantize_${dtype}: predicted whole-tensor and worst-channel SQNR within ${TOLERANCE_DB} dB; totals.${dtype}.bytes == shards`, async (t) => {
            const tmp = await makeTempDir(`inspect-${dtype}`);
            t.after(() => removeDir(tmp));
            const qDir = path.join(tmp, 'q');
            const { stderr } = await runCli(bin, ['quantize', jsonPath, qDir, `--quantize_${dtype}`]);
            const qJson = findJson(qDir);
            const qManifest = manifestOf(readJson(qJson));

            assert.equal(report.totals[dtype].bytes, shardBytes(qDir, qManifest),
              `totals.${dtype}.bytes == sum of the shard files quantize --quantize_${dtype} wrote`);

            // Tensors that stay as stored: non-float32 ones, and float32 ones
            // holding NaN/Inf, which are exactly the ones quantize warns about.
            const naninf = report.tensors.filter((x) => x.quantizable && (x.nan_count > 0 || x.inf_count > 0))
              .map((x) => x.name).sort();
            assert.deepEqual([...keptWeights(stderr).keys()].sort(), naninf,
              'quantize warns ("kept as stored") about exactly the float32 tensors inspect reports with NaN/Inf');

            const quantized = decodeAll(qDir, qManifest);
            const failures = [];
            let whole = 0;
            let channel = 0;
            for (const rt of report.tensors) {
              if (!rt.quantizable || rt.nan_count > 0 || rt.inf_count > 0) continue;
              const x = original.get(rt.name).values;
              const q = quantized.get(rt.name).values;
              assert.equal(q.length, x.length, `weight ${rt.name}: element count`);
              const m = measure(x, q, rt.shape, rt.channel_axis);
              const p = rt[dtype];
              if (!sameDb(p.sqnr_db, m.whole)) {
                failures.push(`${rt.name} ${JSON.stringify(rt.shape)} stored ${rt.stored_encoding}: whole-tensor ` +
                  `predicted ${fmtDb(p.sqnr_db)} dB, measured ${fmtDb(m.whole)} dB`);
              }
              whole++;
              if (rt.dead_channels === 0) {
                if (!sameDb(p.worst_channel_sqnr_db, m.worst)) {
                  failures.push(`${rt.name} ${JSON.stringify(rt.shape)} stored ${rt.stored_encoding}: worst channel ` +
                    `(axis ${rt.channel_axis}) predicted ${fmtDb(p.worst_channel_sqnr_db)} dB (channel ${p.worst_channel}), ` +
                    `measured ${fmtDb(m.worst)} dB (channel ${m.worstChannel})`);
                }
                channel++;
              }
              compared.tensors.add(`${source.name}/${rt.name}`);
            }
            compared.whole += whole;
            compared.channel += channel;
            compared.models.add(source.name);
            t.diagnostic(`${source.name} ${dtype}: ${whole} tensors compared whole, ${channel} per channel, ${failures.length} mismatches`);
            assert.ok(whole > 0, 'no tensor was compared');
            assert.equal(failures.length, 0,
              `${failures.length} prediction(s) off by more than ${TOLERANCE_DB} dB for --quantize_${dtype}:\n` +
              `${failures.slice(0, 25).join('\n')}${failures.length > 25 ? `\n... and ${failures.length - 25} more` : ''}`);
          });
        }
      });
    }

    test('summary: tensors compared', (t) => {
      const msg = `${compared.tensors.size} distinct tensors of ${compared.models.size} models; ` +
        `${compared.whole} whole-tensor and ${compared.channel} worst-channel comparisons over ${DTYPES.join('/')}`;
      t.diagnostic(msg);
      console.log(`inspect.test.mjs: ${msg}`);
      assert.ok(compared.models.size >= 6, `only ${compared.models.size} models were compared`);
    });
  });
}
