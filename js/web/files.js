// What the user gives the page: files from a picker or a drop (folders
// walked iteratively), as a Map of relative path -> File; then the model
// JSON chosen among them and its files read into a Map of name ->
// Uint8Array, named relative to the JSON's folder as the API wants them.

/** An error whose message is for the user, naming the file at fault. */
export class DropError extends Error {}

const MAX_FILES = 50_000;
const MAX_JSON_BYTES = 256 << 20;
const IMAGE = /\.(png|jpe?g|gif|webp|bmp|avif)$/i;

export function isImage(file) {
  return (file.type ?? '').startsWith('image/') || IMAGE.test(file.name);
}

/** <input type=file> (multiple, or a folder with webkitdirectory): Map path -> File. */
export function fromFileList(list) {
  const out = new Map();
  for (const f of list) out.set(f.webkitRelativePath || f.name, f);
  return out;
}

/**
 * What a drop holds, taken while the event lasts (its items are gone once
 * the handler returns): file system entries where the browser gives them,
 * else plain files.
 */
export function takeDrop(dataTransfer) {
  const entries = [];
  const loose = [];
  for (const item of dataTransfer?.items ?? []) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry?.();
    if (entry) entries.push(entry);
    else {
      const f = item.getAsFile();
      if (f) loose.push(f);
    }
  }
  if (entries.length === 0 && loose.length === 0) loose.push(...(dataTransfer?.files ?? []));
  return { entries, loose };
}

const fileOf = (entry) => new Promise((resolve, reject) => entry.file(resolve, reject));
const batchOf = (reader) => new Promise((resolve, reject) => reader.readEntries(resolve, reject));

/** The files of a drop (takeDrop's), folders walked with a stack: Map path -> File. */
export async function fromDrop({ entries, loose }) {
  const out = new Map();
  for (const f of loose) out.set(f.name, f);
  const stack = [...entries];
  while (stack.length) {
    const entry = stack.pop();
    if (entry.isFile) {
      try {
        out.set(entry.fullPath.replace(/^\/+/, ''), await fileOf(entry));
      } catch (e) {
        throw new DropError(`${entry.fullPath.replace(/^\/+/, '')} could not be read (${e.message || e.name})`);
      }
      if (out.size > MAX_FILES) throw new DropError(`the drop holds more than ${MAX_FILES} files: drop the model's folder only`);
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      // readEntries gives a folder in batches, until an empty one.
      for (let batch = await batchOf(reader); batch.length; batch = await batchOf(reader)) stack.push(...batch);
    }
  }
  return out;
}

function dirname(p) {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

export function basename(p) {
  return p.slice(p.lastIndexOf('/') + 1);
}

// `rel` (a manifest path) inside the folder `dir`, normalized; null if it
// climbs out of it or is absolute.
function resolveIn(dir, rel) {
  if (rel.startsWith('/') || /^[a-z]+:/i.test(rel)) return null;
  const parts = dir ? dir.split('/') : [];
  const depth = parts.length;
  for (const seg of rel.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length <= depth) return null;
      parts.pop();
    } else parts.push(seg);
  }
  return parts.join('/');
}

async function readBytes(path, file) {
  try {
    return new Uint8Array(await file.arrayBuffer());
  } catch (e) {
    throw new DropError(`${path} could not be read (${e.message || e.name})`);
  }
}

function list(names, n = 5) {
  return names.length <= n ? names.join(', ') : `${names.slice(0, n).join(', ')} and ${names.length - n} more`;
}

// What a parsed JSON is: a model JSON (an object with weightsManifest), a
// standalone weights manifest (a list of {paths, weights} groups), or neither.
function kindOf(value) {
  if (value && typeof value === 'object' && !Array.isArray(value) && 'weightsManifest' in value) return 'model';
  if (Array.isArray(value) && value.length > 0 &&
      value.every((g) => g && typeof g === 'object' && Array.isArray(g.paths) && Array.isArray(g.weights))) {
    return 'manifest';
  }
  return null;
}

/**
 * The model JSONs among `files` (Map path -> File): [{path, kind, value}],
 * the one the CLI would open first (model.json, else a lone
 * *weights_manifest.json, else the first by path). Throws a DropError that
 * says what is wrong when there is none.
 */
export async function findModels(files) {
  if (files.size === 0) throw new DropError('the drop held no files');
  const jsons = [...files.keys()].filter((p) => p.toLowerCase().endsWith('.json')).sort();
  if (jsons.length === 0) {
    const names = [...files.keys()].sort();
    throw new DropError(`no model JSON ${names.length === 1 ? 'in the one file' : `among the ${names.length} files`} given ` +
                        `(${list(names)}): give the model's .json (graph or layers model) or its ` +
                        '*weights_manifest.json together with its .bin files, or drop its folder');
  }
  const found = [];
  const broken = [];
  for (const path of jsons) {
    const file = files.get(path);
    if (file.size > MAX_JSON_BYTES) {
      broken.push(`${path} is ${file.size.toLocaleString('en-US')} bytes, too large for a model JSON`);
      continue;
    }
    let value;
    try {
      value = JSON.parse(new TextDecoder().decode(await readBytes(path, file)));
    } catch (e) {
      broken.push(e instanceof DropError ? e.message : `${path} is not valid JSON (${e.message})`);
      continue;
    }
    const kind = kindOf(value);
    if (kind) found.push({ path, kind, value });
    else if (jsons.length === 1 || path.endsWith('weights_manifest.json') || basename(path) === 'model.json') {
      broken.push(`${path} is not a TensorFlow.js model: it has no "weightsManifest" and is not a weights manifest ` +
                  '(a list of {"paths", "weights"} groups)');
    }
  }
  if (found.length === 0) {
    if (broken.length) throw new DropError(broken.join('; '));
    throw new DropError(`none of the JSON files given is a TensorFlow.js model JSON or weights manifest (${list(jsons)})`);
  }
  const rank = (m) => (basename(m.path) === 'model.json' ? 0 : m.kind === 'manifest' ? 1 : 2);
  found.sort((a, b) => rank(a) - rank(b) || a.path.localeCompare(b.path));
  return found;
}

/**
 * Reads one model (a findModels entry) and its shards out of `files`:
 * {json, files: Map name -> Uint8Array, path}. The shards are looked up
 * beside the JSON as its manifest names them, or by their file name when
 * files were picked without their folders. A shard that is missing is named.
 */
export async function readModel(files, model) {
  const dir = dirname(model.path);
  const groups = model.kind === 'manifest' ? model.value : model.value.weightsManifest;
  const jsonName = basename(model.path);
  const out = new Map([[jsonName, await readBytes(model.path, files.get(model.path))]]);
  if (!Array.isArray(groups)) return { json: jsonName, files: out, path: model.path };  // the core says why
  const byName = new Map();
  for (const p of files.keys()) {
    const b = basename(p);
    byName.set(b, byName.has(b) ? null : p);  // null: ambiguous
  }
  const missing = [];
  const outside = [];
  for (const g of groups) {
    for (const rel of Array.isArray(g?.paths) ? g.paths : []) {
      if (typeof rel !== 'string') continue;
      const want = resolveIn(dir, rel);
      if (want === null) {
        outside.push(rel);
        continue;
      }
      const name = dir ? want.slice(dir.length + 1) : want;
      if (out.has(name)) continue;
      const path = files.has(want) ? want : byName.get(basename(want));
      if (!path) {
        missing.push(rel);
        continue;
      }
      out.set(name, await readBytes(path, files.get(path)));
    }
  }
  if (outside.length) {
    throw new DropError(`${model.path} names weight files outside its folder (${list(outside)}), which tfjs-quant ` +
                        'does not read');
  }
  if (missing.length) {
    const what = missing.length === 1 ? `${missing[0]} is missing` :
      `${missing.length} weight files are missing: ${list(missing)}`;
    throw new DropError(`${what} (${model.path} names ${missing.length === 1 ? 'it' : 'them'} in its ` +
                        `${model.kind === 'manifest' ? 'manifest' : 'weightsManifest'}): give the JSON together ` +
                        'with its .bin files, or drop the whole folder');
  }
  return { json: jsonName, files: out, path: model.path };
}
