// Inputs: seeded defaults, .npy and PNG/JPEG samples (unit + protocol level).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { parseNpy, writeNpy } from '../lib/npy.mjs';
import { defaultSample, resolveShape } from '../lib/inputs.mjs';
import { resizeBilinear } from '../lib/resize.mjs';
import { startEvaluator, saveLayersModel, denseModel, convModel, tmpDir, allZeroErr } from '../testlib/helpers.mjs';

test('default inputs: same seed same values, other seed other values, range', () => {
  const a = defaultSample([1, 32, 24, 3], 'float32', 1, 0, 0);
  const b = defaultSample([1, 32, 24, 3], 'float32', 1, 0, 0);
  const c = defaultSample([1, 32, 24, 3], 'float32', 2, 0, 0);
  const d = defaultSample([1, 32, 24, 3], 'float32', 1, 0, 1);
  assert.deepEqual(a.data, b.data);
  assert.notDeepEqual(a.data, c.data);
  assert.notDeepEqual(a.data, d.data);
  assert.ok(a.data.every(v => v >= 0 && v <= 1));
  // smooth: neighbouring pixels are much closer than the value range
  let diff = 0;
  for (let i = 3; i < a.data.length; i += 3) diff += Math.abs(a.data[i] - a.data[i - 3]);
  assert.ok(diff / (a.data.length / 3) < 0.1);
  const ints = defaultSample([1, 8, 8, 1], 'int32', 1, 0, 0);
  assert.ok(ints.data instanceof Int32Array && ints.data.every(v => v >= 0 && v <= 255));
  const bools = defaultSample([1, 10], 'bool', 1, 0, 0);
  assert.ok(bools.data.every(v => v === 0 || v === 1));
  assert.equal(defaultSample([1, 5], 'float32', 1, 0, 0).data.length, 5);
  assert.equal(defaultSample([1, 7, 2], 'float32', 1, 0, 0).data.length, 14);
});

test('unknown dims: batch 1, dims[name], dims.default; bad overrides rejected', () => {
  const inp = { name: 'x', shape: [-1, null, -1, 3], dtype: 'float32' };
  assert.deepEqual(resolveShape(inp, {}), [1, 256, 256, 3]);
  assert.deepEqual(resolveShape(inp, { default: 64 }), [1, 64, 64, 3]);
  assert.deepEqual(resolveShape(inp, { default: 64, x: 32 }), [1, 32, 32, 3]);
  assert.deepEqual(resolveShape(inp, { x: [1, 10, 20, 3] }), [1, 10, 20, 3]);
  assert.throws(() => resolveShape(inp, { x: [1, 10, 20, 4] }), /does not fit/);
  assert.throws(() => resolveShape({ name: 'y', shape: null, dtype: 'float32' }, {}), /unknown rank/);
});

test('npy reader: versions, dtypes, fortran order', () => {
  const f = parseNpy(writeNpy([2, 3], [1, 2, 3, 4, 5, 6.5], '<f4'));
  assert.deepEqual(f, { shape: [2, 3], dtype: '<f4', data: [1, 2, 3, 4, 5, 6.5] });
  for (const dt of ['<f8', '<i4', '<i8', '|u1', '|i1', '<u2', '<i2']) {
    const vals = dt === '|u1' || dt === '<u2' ? [0, 1, 200] : [-3, 0, 100];
    assert.deepEqual(parseNpy(writeNpy([3], vals, dt)).data, vals, dt);
  }
  assert.deepEqual(parseNpy(writeNpy([2], [1, 0], '|b1')).data, [1, 0]);
  // version 2.0 / 3.0: 4-byte header length
  const v1 = writeNpy([2], [7, 8], '<f4');
  const hlen = v1[8] | (v1[9] << 8);
  for (const major of [2, 3]) {
    const v = new Uint8Array(v1.length + 2);
    v.set(v1.subarray(0, 8)); v[6] = major;
    new DataView(v.buffer).setUint32(8, hlen, true);
    v.set(v1.subarray(10), 12);
    assert.deepEqual(parseNpy(v).data, [7, 8]);
  }
  const fort = Buffer.from(writeNpy([2, 2], [1, 2, 3, 4], '<f4')).toString('latin1').replace("'fortran_order': False", "'fortran_order': True ");
  assert.throws(() => parseNpy(Buffer.from(fort, 'latin1'), 'f.npy'), /f\.npy.*fortran_order/);
  assert.throws(() => parseNpy(Buffer.from('not numpy at all'), 'x.npy'), /x\.npy/);
  const bad = Buffer.from(writeNpy([2], [1, 2], '<f4')).toString('latin1').replace("'<f4'", "'>f4'");
  assert.throws(() => parseNpy(Buffer.from(bad, 'latin1'), 'be.npy'), /unsupported .npy dtype '>f4'/);
});

test('bilinear resize: identity at same size, luminance for 1 channel', () => {
  const rgba = new Uint8Array([10, 20, 30, 255, 40, 50, 60, 0, 70, 80, 90, 9, 100, 110, 120, 255]);
  const img = { width: 2, height: 2, rgba };
  assert.deepEqual([...resizeBilinear(img, 2, 2, 3)], [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]);
  const g = resizeBilinear(img, 2, 2, 1);
  assert.ok(Math.abs(g[0] - (0.299 * 10 + 0.587 * 20 + 0.114 * 30)) < 1e-9);
  const up = resizeBilinear(img, 4, 4, 3);
  assert.equal(up.length, 48);
  assert.equal(up[0], 10);
});

test('protocol: seeds, .npy folder, PNG/JPEG folder, mismatches', async () => {
  const dir = tmpDir();
  const dense = await saveLayersModel(denseModel, path.join(dir, 'dense'));
  const conv = await saveLayersModel(convModel, path.join(dir, 'conv'));
  const ev = await startEvaluator();
  try {
    // Seeds: compare the reference energy of every sample.
    const sigs = async seed => {
      const l = await ev.request({ cmd: 'load', model: dense, count: 4, seed });
      assert.equal(l.ok, true, l.error);
      const e = await ev.request({ cmd: 'eval', assign: {} });
      return e.results.map(r => r.sig);
    };
    const s1 = await sigs(1), s1b = await sigs(1), s2 = await sigs(2);
    assert.deepEqual(s1, s1b);
    assert.notDeepEqual(s1, s2);
    assert.equal(new Set(s1).size, 4, 'samples differ from each other');

    // .npy samples, with and without the batch axis; "count" is ignored.
    const npyDir = path.join(dir, 'npy');
    fs.mkdirSync(npyDir);
    const vals = k => Array.from({ length: 16 }, (_, i) => Math.sin(i + k));
    fs.writeFileSync(path.join(npyDir, 'b.npy'), writeNpy([1, 16], vals(2), '<f4'));
    fs.writeFileSync(path.join(npyDir, 'a.npy'), writeNpy([16], vals(1), '<f8'));
    fs.writeFileSync(path.join(npyDir, 'c.npy'), writeNpy([16], vals(3).map(v => Math.round(v * 10)), '<i4'));
    fs.writeFileSync(path.join(npyDir, 'ignored.txt'), 'not a sample');
    let l = await ev.request({ cmd: 'load', model: dense, count: 99, inputs_dir: npyDir });
    assert.equal(l.ok, true, l.error);
    assert.equal(l.count, 3);
    let e = await ev.request({ cmd: 'eval', assign: {} });
    assert.ok(allZeroErr(e.results));
    fs.writeFileSync(path.join(npyDir, 'd.npy'), writeNpy([17], [...vals(4), 0], '<f4'));
    l = await ev.request({ cmd: 'load', model: dense, inputs_dir: npyDir });
    assert.equal(l.ok, false);
    assert.match(l.error, /d\.npy/);
    assert.match(l.error, /\[1,16\]/);
    assert.match(l.error, /\[17\]/);

    // PNG and JPEG samples resized to the 8x8 input.
    const imgDir = path.join(dir, 'img');
    fs.mkdirSync(imgDir);
    const png = new PNG({ width: 12, height: 10 });
    for (let i = 0; i < 12 * 10; i++) png.data.set([i % 256, (i * 7) % 256, (i * 13) % 256, 128], i * 4);
    fs.writeFileSync(path.join(imgDir, '1.png'), PNG.sync.write(png));
    const raw = { width: 8, height: 8, data: Buffer.alloc(8 * 8 * 4, 200) };
    fs.writeFileSync(path.join(imgDir, '2.jpg'), jpeg.encode(raw, 90).data);
    l = await ev.request({ cmd: 'load', model: conv, inputs_dir: imgDir });
    assert.equal(l.ok, true, l.error);
    assert.equal(l.count, 2);
    assert.deepEqual(l.inputs[0].shape, [1, 8, 8, 3]);
    e = await ev.request({ cmd: 'eval', assign: {} });
    assert.equal(e.results.length, 2);
    assert.ok(allZeroErr(e.results));
    assert.ok(e.results.every(r => r.sig > 0));

    // An image for a non-image input is a clear error naming the file.
    l = await ev.request({ cmd: 'load', model: dense, inputs_dir: imgDir });
    assert.equal(l.ok, false);
    assert.match(l.error, /1\.png/);
    // Empty folder.
    fs.mkdirSync(path.join(dir, 'empty'));
    l = await ev.request({ cmd: 'load', model: dense, inputs_dir: path.join(dir, 'empty') });
    assert.equal(l.ok, false);
    assert.match(l.error, /no \.npy/);
    assert.equal((await ev.quit()).code, 0);
    assert.deepEqual(ev.badLines, []);
  } finally {
    ev.child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
