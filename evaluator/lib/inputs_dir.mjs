// Samples from a folder (--inputs DIR: .npy, .png, .jpg/.jpeg). Node-only:
// lists and reads the files with fs and decodes images with pngjs / jpeg-js;
// turning bytes and pixels into samples is inputs.mjs, shared with the page.
import fs from 'node:fs';
import path from 'node:path';
import { decodeImage } from './images.mjs';
import { sampleFromNpy, checkImageInput, sampleFromImage } from './inputs.mjs';
import { UsageError } from './errors.mjs';

const SAMPLE_EXT = ['.npy', '.png', '.jpg', '.jpeg'];

function listSampleFiles(dir) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    throw new UsageError(`cannot read inputs folder ${dir}: ${e.code || e.message}`);
  }
  return entries
      .filter(e => e.isFile() && SAMPLE_EXT.includes(path.extname(e.name).toLowerCase()))
      .map(e => e.name)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) // byte order, locale-independent
      .map(n => path.join(dir, n));
}

function loadSampleFile(file, input, resolved) {
  if (path.extname(file).toLowerCase() === '.npy') return sampleFromNpy(fs.readFileSync(file), file, input, resolved);
  // Check the input first: an image for a non-image input is reported as
  // such even when the file would not decode either.
  checkImageInput(file, input, resolved);
  return sampleFromImage(decodeImage(fs.readFileSync(file), path.basename(file)), file, input, resolved);
}

/** Folder name candidates for an input (names may contain '/' or ':'). */
function inputFolder(dir, name) {
  const cands = [name, name.replace(/:0$/, ''), name.replace(/[/:\\]/g, '_')];
  for (const c of cands) {
    const p = path.join(dir, c);
    if (fs.existsSync(p) && fs.statSync(p).isDirectory()) return p;
  }
  throw new Error(`inputs folder ${dir}: the model has several inputs, so one subfolder per input name is expected; missing "${name}" (or "${cands[2]}")`);
}

/**
 * Samples from a folder. Single input: every .npy/.png/.jpg/.jpeg file
 * directly in `dir`, sorted by name. Several inputs: one subfolder per input
 * name with the same number of files each, paired by sorted order.
 * `shapes` are the resolved shapes (used for image resizing).
 */
export function samplesFromDir(dir, inputs, shapes) {
  const perInput = inputs.length === 1
      ? [listSampleFiles(dir)]
      : inputs.map(inp => listSampleFiles(inputFolder(dir, inp.name)));
  perInput.forEach((files, i) => {
    if (files.length === 0) {
      const where = inputs.length === 1 ? dir : inputFolder(dir, inputs[i].name);
      throw new Error(`no .npy/.png/.jpg/.jpeg files in ${where}`);
    }
  });
  const n = perInput[0].length;
  perInput.forEach((files, i) => {
    if (files.length !== n) {
      throw new Error(`inputs folder ${dir}: input "${inputs[i].name}" has ${files.length} files but "${inputs[0].name}" has ${n}; every input needs the same number of samples`);
    }
  });
  const samples = [];
  for (let s = 0; s < n; s++) {
    samples.push(inputs.map((inp, i) => loadSampleFile(perInput[i][s], inp, shapes[i])));
  }
  return samples;
}
