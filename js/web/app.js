// The page: open a model (drop, files or folder), show its inspect report,
// choose an encoding per tensor (or by pattern, or with auto), and download
// what the package writes for that plan. Everything stays in the page: the
// model's bytes go to the package's WebAssembly core (in a worker) and to
// TensorFlow.js (auto), never to a server.
import { AutoPanel } from './auto_panel.js';
import { AutoRunner } from './auto_runner.js';
import { Engine } from './engine.js';
import { DropError, findModels, fromDrop, fromFileList, isImage, readModel, takeDrop } from './files.js';
import { TARGETS, plannedBytes, splitPatterns } from './plan.js';
import { fmtInt, renderHead, renderRows, renderTotals, sortRows, updateRow } from './report.js';
import { BACKENDS, loadTf } from './tf_loader.js';
import { zipStored } from './zip.js';

const $ = (id) => document.getElementById(id);
const el = {
  dropZone: $('drop-zone'), modelFiles: $('model-files'), modelFolder: $('model-folder'),
  message: $('message'), status: $('status'), choice: $('model-choice'), modelJson: $('model-json'),
  workspace: $('workspace'), summary: $('model-summary'), totals: $('totals'), tensors: $('tensors'),
  sizeNow: $('size-now'), patternForm: $('pattern-form'), pattern: $('pattern'), patternTarget: $('pattern-target'),
  autoForm: $('auto-form'), autoResult: $('auto-result'), zip: $('download-zip'), links: $('download-files'),
  downloadNote: $('download-note'), backend: $('backend'),
};

const state = {
  files: null,        // Map path -> File: what was dropped or picked
  candidates: [],     // the model JSONs among them
  model: null,        // {json, stem, path, files: Map name -> Uint8Array}
  report: null,       // inspect's JSON
  byName: new Map(),  // tensor name -> the report's tensor
  plan: new Map(),    // tensor name -> target ("keep" when absent)
  why: new Map(),     // tensor name -> auto's reason
  outputs: null,      // {key, files, urls}: the files written for plan `key`
  pending: null,      // {key, promise}: a quantize under way
  token: 0,           // bumps with every model opened: late answers for an older one are dropped
  timer: 0,
  running: false,
};

const engine = new Engine();

// ---------------------------------------------------------------------------
// Messages and state

const setState = (s) => { document.body.dataset.state = s; };
const say = (text) => { el.status.textContent = text; };
const complain = (text) => { el.message.textContent = text; };

function fail(e, where = '') {
  const text = e instanceof DropError || e?.code ? e.message : `${e?.message ?? e}`;
  complain(`${where}${text}`);
  say('');
}

// ---------------------------------------------------------------------------
// TensorFlow.js for auto: in a worker (else in the page), started in the background

const params = new URLSearchParams(location.search);
const askedBackend = params.get('backend');
const forced = BACKENDS.includes(askedBackend) ? askedBackend : null;
const runner = new AutoRunner(forced);
if (askedBackend && !forced) {
  complain(`?backend=${askedBackend} is not one of ${BACKENDS.join(', ')}: the page chooses one itself`);
}
function showBackend() {
  runner.ready().then((r) => {
    el.backend.textContent = `${r.backend}${forced ? ' (from the URL)' : ''}, TensorFlow.js ${r.version}` +
                             `${r.where === 'worker' ? ', in a worker' : ''}${r.note ? ` (${r.note})` : ''}`;
    el.backend.dataset.backend = r.backend;
    // The page's own global tf too (the same bundles and backend), once the
    // worker's is up: for scripts and tests on the page, and auto's
    // fallback. auto itself measures in the worker.
    if (r.where === 'worker') loadTf(r.backend).catch(() => {});
  }, (e) => {
    el.backend.textContent = `not available (${e.message})`;
    el.backend.dataset.backend = '';
  });
}

// ---------------------------------------------------------------------------
// Opening a model

async function openFiles(files) {
  if (state.running) {
    say('auto is running: cancel it before opening another model');
    return;
  }
  complain('');
  const all = [...files.values()];
  if (state.model && all.length && all.every(isImage)) {
    say(`${all.length} image${all.length > 1 ? 's' : ''} for auto`);
    autoPanel.setImages(all);
    return;
  }
  setState('loading');
  say(`reading ${files.size} file${files.size === 1 ? '' : 's'}…`);
  try {
    state.files = files;
    state.candidates = [];
    el.choice.hidden = true;
    state.candidates = await findModels(files);
    el.modelJson.innerHTML = '';
    for (const [i, m] of state.candidates.entries()) el.modelJson.add(new Option(m.path, String(i)));
    el.choice.hidden = state.candidates.length < 2;
    await openModel(state.candidates[0]);
  } catch (e) {
    // The folder's other models stay in the list (el.choice) to pick from.
    closeModel();
    setState('error');
    fail(e);
  }
}

function closeModel() {
  ++state.token;
  clearTimeout(state.timer);
  state.model = null;
  state.report = null;
  state.pending = null;
  dropOutputs();
  el.workspace.hidden = true;
}

async function openModel(candidate) {
  const token = ++state.token;
  const t0 = performance.now();
  setState('loading');
  complain('');
  say(`reading ${candidate.path} and its weights…`);
  const m = await readModel(state.files, candidate);
  if (token !== state.token) return;
  say(`inspecting ${candidate.path}…`);
  await engine.load({ json: m.json, files: m.files });
  const report = await engine.inspect(false);
  if (token !== state.token) return;
  state.model = { ...m, stem: m.json.replace(/\.json$/i, '') || 'model', kind: candidate.kind };
  autoPanel.setUnavailable(candidate.kind === 'manifest'
    ? 'auto runs the model in TensorFlow.js: it needs a model JSON with its topology (graph or layers model); ' +
      'a weights manifest holds only the weights'
    : '');
  state.report = report;
  state.byName = new Map(report.tensors.map((t) => [t.name, t]));
  state.plan = new Map();
  state.why = new Map();
  state.pending = null;
  dropOutputs();
  showReport(report, candidate.path);
  const ms = performance.now() - t0;
  document.body.dataset.reportMs = String(Math.round(ms));
  setState('report');
  say(`${candidate.path}: ${report.tensors.length} weights (${report.format}), inspected in ${(ms / 1000).toFixed(1)} s; ` +
      'measuring gzip and brotli sizes…');
  el.autoResult.textContent = '';
  for (const a of ['data-sqnr', 'data-bytes', 'data-evaluations']) el.autoResult.removeAttribute(a);
  scheduleBuild(0);
  setTimeout(startTf, 0);
  // The wire sizes (gzip, brotli) take longer: they come in afterwards.
  engine.inspect(true).then((r) => {
    if (token !== state.token) return;
    renderTotals(el.totals, r.totals, true);
    if (el.status.textContent.endsWith('measuring gzip and brotli sizes…')) say(el.status.textContent.replace(/; measuring gzip and brotli sizes…$/, ''));
  }, (e) => {
    if (token !== state.token) return;
    el.totals.dataset.wire = 'failed';
    say(`gzip and brotli sizes not measured: ${e.message}`);
  });
}

function showReport(report, path) {
  const counts = { high: 0, medium: 0, low: 0 };
  for (const t of report.tensors) if (t.risk in counts) ++counts[t.risk];
  el.summary.textContent = `${path}: ${report.tensors.length} weights (${report.format}); risk: ${counts.high} high, ` +
                           `${counts.medium} medium, ${counts.low} low`;
  renderTotals(el.totals, report.totals, false);
  renderHead(el.tensors);
  renderRows(el.tensors, report.tensors, state);
  el.workspace.hidden = false;
  showSize();
}

// ---------------------------------------------------------------------------
// The plan

function showSize() {
  const bytes = plannedBytes(state.report, state.plan);
  const stored = state.report.totals.stored.bytes;
  el.sizeNow.dataset.bytes = String(bytes);
  el.sizeNow.textContent = `${fmtInt(bytes)} bytes of weights, ${stored ? ((100 * bytes) / stored).toFixed(1) : 100}% ` +
                           `of ${fmtInt(stored)} as stored`;
}

// Only what is not "keep" goes to quantize: the rest stays as stored.
const planObject = () => Object.fromEntries([...state.plan].filter(([, t]) => t !== 'keep').sort());
const planKey = () => JSON.stringify(planObject());

function setTargets(names, target) {
  for (const name of names) {
    if (target === 'keep') state.plan.delete(name);
    else state.plan.set(name, target);
  }
  for (const row of el.tensors.tBodies[0].rows) {
    if (names.includes(row.dataset.name)) updateRow(row, state.byName.get(row.dataset.name), state);
  }
  showSize();
  scheduleBuild();
}

el.tensors.addEventListener('change', (e) => {
  const select = e.target.closest?.('select[name=target]');
  if (!select) return;
  setTargets([select.closest('tr').dataset.name], select.value);
});

el.tensors.addEventListener('click', (e) => {
  const button = e.target.closest?.('th button.sort');
  if (!button || !state.report) return;
  const col = button.closest('th').dataset.col;
  sortRows(el.tensors, state.report.tensors, state, col);
  const th = button.closest('th');
  say(`sorted by ${button.textContent}, ${th.getAttribute('aria-sort')}`);
});

for (const t of TARGETS) el.patternTarget.add(new Option(t, t));
el.patternTarget.value = 'uint8';
el.patternForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  if (!state.report || state.running) return;
  const patterns = splitPatterns(el.pattern.value);
  if (!patterns.length) {
    say('type a pattern first (* is every tensor)');
    el.pattern.focus();
    return;
  }
  let names;
  try {
    names = await engine.match(state.report.tensors.filter((t) => t.quantizable).map((t) => t.name), patterns);
  } catch (err) {
    say(`the patterns could not be matched: ${err.message}`);
    return;
  }
  const target = el.patternTarget.value;
  if (!names.length) {
    say(`no float32 tensor name matches ${patterns.join(', ')}`);
    return;
  }
  setTargets(names, target);
  say(`${target} for ${names.length} tensor${names.length > 1 ? 's' : ''} matching ${patterns.join(', ')}`);
});

// ---------------------------------------------------------------------------
// The files for the plan (written in the worker), and their download

function dropOutputs() {
  for (const url of state.outputs?.urls ?? []) URL.revokeObjectURL(url);
  state.outputs = null;
  el.links.innerHTML = '';
}

/** The files for the current plan: written now, or the ones already written. */
function currentOutputs() {
  const key = planKey();
  if (state.outputs?.key === key) return Promise.resolve(state.outputs);
  if (state.pending?.key === key) return state.pending.promise;
  const token = state.token;
  const promise = engine.quantize(planObject()).then((r) => {
    if (token !== state.token) throw new Error('another model was opened meanwhile');
    if (state.pending?.promise === promise) state.pending = null;
    if (planKey() === key) showOutputs(key, r.files);
    return { key, files: r.files };
  });
  state.pending = { key, promise };
  promise.catch(() => {
    if (state.pending?.promise === promise) state.pending = null;
  });
  return promise;
}

function scheduleBuild(delay = 120) {
  if (!state.model) return;
  clearTimeout(state.timer);
  if (state.outputs?.key !== planKey()) {
    dropOutputs();
    el.links.dataset.state = 'building';
    el.downloadNote.textContent = 'writing the files…';
  }
  const token = state.token;
  state.timer = setTimeout(() => {
    currentOutputs().catch((e) => {
      if (token !== state.token) return;
      el.links.dataset.state = 'error';
      el.downloadNote.textContent = 'the files could not be written';
      fail(e, 'quantize: ');
    });
  }, delay);
}

function showOutputs(key, files) {
  dropOutputs();
  const urls = [];
  let total = 0;
  for (const [name, bytes] of files) {
    const url = URL.createObjectURL(new Blob([bytes], { type: name.endsWith('.json') ? 'application/json' : 'application/octet-stream' }));
    urls.push(url);
    total += bytes.length;
    const li = document.createElement('li');
    const a = document.createElement('a');
    a.href = url;
    a.download = name.replaceAll('/', '_');
    a.textContent = name;
    a.dataset.bytes = String(bytes.length);
    li.append(a, ` ${fmtInt(bytes.length)} bytes`);
    el.links.append(li);
  }
  state.outputs = { key, files, urls };
  el.links.dataset.state = 'ready';
  el.links.dataset.bytes = String(total);
  el.downloadNote.textContent = `${files.size} file${files.size > 1 ? 's' : ''}, ${fmtInt(total)} bytes in all ` +
                                '(the model JSON included)';
}

el.zip.addEventListener('click', async () => {
  if (!state.model) return;
  el.zip.disabled = true;
  try {
    const out = await currentOutputs();
    const url = URL.createObjectURL(zipStored(out.files));
    const a = Object.assign(document.createElement('a'), { href: url, download: `${state.model.stem}-quantized.zip` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    say(`${a.download}: ${out.files.size} files`);
  } catch (e) {
    fail(e, 'download: ');
  } finally {
    el.zip.disabled = state.running;
  }
});

// ---------------------------------------------------------------------------
// auto

function busy(running) {
  state.running = running;
  for (const s of el.tensors.querySelectorAll('select[name=target]')) {
    s.disabled = running || !state.byName.get(s.closest('tr').dataset.name)?.quantizable;
  }
  for (const c of [el.pattern, el.patternTarget, $('apply-pattern'), el.modelFiles, el.modelFolder, el.modelJson,
                   $('budget'), $('image-files'), el.zip]) c.disabled = running;
  if (running) {
    setState('auto-running');
    complain('');
    say('auto is running');
  }
}

const autoPanel = new AutoPanel({
  budget: $('budget'), budgetHint: $('budget-hint'), images: $('image-files'), clearImages: $('clear-images'),
  imageList: $('image-list'), run: $('auto-run'), cancel: $('auto-cancel'), progress: $('auto-progress'),
  eta: $('auto-eta'), unavailable: $('auto-unavailable'),
}, {
  runner,
  model: () => state.model,
  busy,
  status: say,
  done(result, text) {
    applyAuto(result, text);
    setState('auto-done');
    say(`auto done: ${text}`);
  },
  failed(e, cancelled, text) {
    setState(state.model ? 'report' : 'empty');
    if (cancelled) {
      say('auto cancelled: the plan is as it was');
      return;
    }
    if (e?.result && state.model) applyAuto(e.result, `outside the budget: ${text}`);
    fail(e, 'auto: ');
  },
});

// auto's choices into the table (encoding and reason per tensor) and its
// files as the download.
function applyAuto(result, text) {
  state.plan = new Map();
  for (const [name, target] of Object.entries(result.plan ?? {})) {
    if (state.byName.has(name) && TARGETS.includes(target) && target !== 'keep') state.plan.set(name, target);
  }
  state.why = new Map((result.choices ?? []).map((c) => [c.name, c.why ?? '']));
  for (const row of el.tensors.tBodies[0].rows) updateRow(row, state.byName.get(row.dataset.name), state);
  showSize();
  clearTimeout(state.timer);
  state.pending = null;
  showOutputs(planKey(), result.files);
  el.autoResult.textContent = text;
  el.autoResult.dataset.sqnr = String(result.verified?.sqnr_db ?? 'exact');
  el.autoResult.dataset.bytes = String(result.bytes?.after ?? '');
  el.autoResult.dataset.evaluations = String(result.evaluations ?? '');
}

el.autoForm.addEventListener('submit', (e) => e.preventDefault());

// ---------------------------------------------------------------------------
// Drops and pickers

for (const input of [el.modelFiles, el.modelFolder]) {
  input.addEventListener('change', () => {
    const files = fromFileList(input.files);
    input.value = '';
    if (files.size) openFiles(files);
  });
}
el.modelJson.addEventListener('change', () => {
  const m = state.candidates[Number(el.modelJson.value)];
  if (m && !state.running) openModel(m).catch((e) => { closeModel(); setState('error'); fail(e); });
});

let dragDepth = 0;
document.addEventListener('dragenter', (e) => {
  if (!e.dataTransfer?.types?.includes('Files')) return;
  ++dragDepth;
  el.dropZone.classList.add('over');
});
document.addEventListener('dragleave', () => {
  if (--dragDepth <= 0) {
    dragDepth = 0;
    el.dropZone.classList.remove('over');
  }
});
document.addEventListener('dragover', (e) => {
  e.preventDefault();  // a drop anywhere on the page is the drop zone's
  if (e.dataTransfer) e.dataTransfer.dropEffect = state.running ? 'none' : 'copy';
});
document.addEventListener('drop', (e) => {
  e.preventDefault();
  dragDepth = 0;
  el.dropZone.classList.remove('over');
  const taken = takeDrop(e.dataTransfer);  // now: the items die with the event
  fromDrop(taken).then((files) => openFiles(files), (err) => {
    closeModel();
    setState('error');
    fail(err);
  });
});

// TensorFlow.js loads for auto once the first report is up, or after a
// moment if no model comes: it would slow the core's compile and the
// first inspect, which need the same cores.
let backendShown = false;
function startTf() {
  if (backendShown) return;
  backendShown = true;
  showBackend();
}
setTimeout(startTf, 1500);
