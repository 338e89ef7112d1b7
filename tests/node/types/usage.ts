// Compiled (never run) by js_types.test.mjs with tsc --strict: the package's
// TypeScript declarations (js/src/index.d.ts) fit tfjs 4.22's own types in
// the ways docs/javascript.md shows.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { auto, quantize, dequantize, diff, inspect, quantizeTensors, withQuantization, TfjsQuantError, ready } from 'tfjs-quant';
import * as tfc from '@tensorflow/tfjs-converter';

async function main() {
  const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [2] })] });
  await model.save(withQuantization(tf.io.withSaveHandler(async (a) => ({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) })), { float16: ['dense*'] }));
  const handler = tf.io.browserFiles([]);
  const artifacts: tf.io.ModelArtifacts = await handler.load!();
  const q: tf.io.ModelArtifacts = await quantize(artifacts, { uint16: 'a,b', skip: ['c'] });
  await tfl.loadLayersModel(tf.io.fromMemory(q));
  const files = await quantize(new Map([['model.json', '{}']]), { uint8: true });
  files.files.get('model.json')?.byteLength;
  const d = await dequantize({ 'model.json': new Uint8Array(1) });
  d.report.tensors[0].after;
  const t = tf.tensor([1, 2]);
  const r = await quantizeTensors({ a: t, b: { data: new Float32Array(2), shape: [2], dtype: 'float32' } }, { uint8: true });
  tf.io.decodeWeights(r.weightData, r.manifest[0].weights);
  await quantizeTensors([{ name: 'a', tensor: t, isSkipQuantization: true }]);
  await quantizeTensors(new Map([['a', t]]));
  const report = await inspect(artifacts, { wire: false });
  const risky: string[] = report.tensors.filter((x) => x.risk === 'high').map((x) => x.name);
  report.totals.uint8.gzip.toFixed();
  const drawn: number = (report.tensors[0].histogram ?? []).length + (report.tensors[0].uint8_grid?.scale ?? 0);
  const delta = await diff(artifacts, q);
  delta.tensors[0].sqnrDb?.toFixed(1);
  console.log(risky, delta.differ, drawn);
  const planned = await quantize(files.files, { plan: { a: 'uint8', b: 'keep' } });
  planned.report.bytesAfter.toFixed();
  const stop = new AbortController();
  const found = await auto(files.files, {
    tf: { ...tf, loadGraphModel: tfc.loadGraphModel, loadLayersModel: tfl.loadLayersModel }, budget: 'sqnr>=30',
    signal: stop.signal, onProgress: (p) => console.log(p.evaluations, p.estimatedTotal), limits: { json_depth: 2000 },
  }).catch((e: unknown) => {
    if (e instanceof TfjsQuantError && e.code === 'CANCELLED') return null;
    throw e;
  });
  if (!found) return;
  found.choices.filter((c) => c.target === 'uint8').map((c) => c.why);
  found.check.sqnr_db?.toFixed(1);
  try { await ready(); } catch (e) { if (e instanceof TfjsQuantError) console.log(e.code === 'LIMIT_EXCEEDED'); }
}
main();
