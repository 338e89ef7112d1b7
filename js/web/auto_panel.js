// auto in the page: a budget ("sqnr>=30", conditions joined with ","),
// default inputs or the user's images, tfjs measuring every candidate on
// the page's backend, with a progress bar, an ETA and a cancel button.
import { fmtDb, fmtInt } from './report.js';

const METRICS = { sqnr: true, cosine: true, maxabs: false, top1: true };  // true: bounded from below
const DECIMAL = /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The budget's problem in words, as the CLI would say it, or '' when it parses. */
export function budgetProblem(text) {
  const whole = text.trim();
  if (!whole) return "the budget is empty (e.g. 'sqnr>=30')";
  for (const raw of whole.split(',')) {
    const part = raw.trim();
    if (!part) return `budget '${whole}': empty condition between commas`;
    const op = part.search(/[<>=]/);
    if (op < 0) return `budget '${whole}': no comparison in '${part}' (expected METRIC OP NUMBER, e.g. 'sqnr>=30')`;
    const name = part.slice(0, op).trim().toLowerCase();
    if (!(name in METRICS)) {
      return `budget '${whole}': unknown metric '${name}' (sqnr, cosine, maxabs or top1, e.g. 'cosine>=0.999')`;
    }
    const m = /^(>=|<=|>|<)(.*)$/.exec(part.slice(op));
    if (!m) return `budget '${whole}': '${part.slice(op, op + 2)}' is not a comparison (>=, >, <= or <)`;
    if (!DECIMAL.test(m[2].trim()) || !Number.isFinite(Number(m[2].trim()))) {
      return `budget '${whole}': '${m[2].trim()}' is not a number`;
    }
    if ((m[1][0] === '>') !== METRICS[name]) {
      return `budget '${whole}': ${name} must be bounded from ${METRICS[name] ? `below (${name}>=...)` : `above (${name}<=...)`}`;
    }
  }
  return '';
}

/** A dropped or picked image as auto takes it: {name, width, height, rgba}, its pixels as stored. */
export async function decodeImage(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    throw new Error(`${file.name} could not be decoded as an image`);
  }
  const { width, height } = bitmap;
  const canvas = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(width, height)
    : Object.assign(document.createElement('canvas'), { width, height });
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close?.();
  const { data } = ctx.getImageData(0, 0, width, height);
  return { name: file.name, width, height, rgba: data };
}

export function seconds(ms) {
  const s = ms / 1000;
  if (s < 1) return 'under a second';
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 600) return `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, '0')} s`;
  return `${Math.round(s / 60)} min`;
}

const pct = (x) => `${(x * 100).toFixed(x >= 0.9995 && x < 1 ? 2 : 1)}%`;

/** The sentence #auto-result shows. */
export function summary(r, backend) {
  const v = r.verified ?? {};
  const parts = [`${fmtInt(r.bytes.after)} bytes (${pct(r.bytes.after / r.bytes.before)} of ${fmtInt(r.bytes.before)})`];
  const m = [];
  if ('sqnr_db' in v) m.push(`SQNR ${fmtDb(v.sqnr_db)} dB`);
  if (v.cosine !== undefined && v.cosine !== null) m.push(`cosine ${v.cosine.toFixed(6)}`);
  if (v.max_abs !== undefined && v.max_abs !== null) m.push(`max abs ${Number(v.max_abs).toPrecision(3)}`);
  if (v.top1 !== undefined && v.top1 !== null) m.push(`top-1 ${pct(v.top1)}`);
  if (m.length) parts.push(`verified ${m.join(', ')}`);
  if (r.check && 'sqnr_db' in r.check) parts.push(`the written model re-loaded: SQNR ${fmtDb(r.check.sqnr_db)} dB`);
  const n = (k, what) => `${k} ${what}${k === 1 ? '' : 's'}`;
  parts.push(`${n(r.evaluations, 'measurement')} (${n(r.inferences ?? 0, 'inference')}) in ${seconds(r.ms)} on ${backend}`);
  return parts.join('; ');
}

/**
 * The auto panel. `hooks`: runner (an AutoRunner), model() -> {json,
 * files} | null, busy(running),
 * done(result, summary), failed(error, cancelled, summary of error.result),
 * status(text).
 */
export class AutoPanel {
  constructor(el, hooks) {
    this.el = el;
    this.hooks = hooks;
    this.images = [];
    this.controller = null;
    el.budget.addEventListener('input', () => this.checkBudget());
    el.images.addEventListener('change', () => this.setImages([...el.images.files]));
    el.clearImages.addEventListener('click', () => {
      el.images.value = '';
      this.setImages([]);
    });
    el.run.addEventListener('click', () => this.run());
    el.cancel.addEventListener('click', () => this.controller?.abort());
    this.checkBudget();
    this.showImages();
  }

  /** Whether auto can run on the model shown ('' if so, else why not). */
  setUnavailable(why) {
    this.unavailable = why;
    this.el.run.disabled = Boolean(why) || Boolean(this.controller);
    this.el.unavailable.textContent = why;
    this.el.unavailable.hidden = !why;
  }

  checkBudget() {
    const problem = budgetProblem(this.el.budget.value);
    this.el.budget.setAttribute('aria-invalid', problem ? 'true' : 'false');
    this.el.budgetHint.textContent = problem || 'Conditions joined with ",": sqnr>=DB, cosine>=X, maxabs<=X, top1>=X.';
    this.el.budgetHint.classList.toggle('bad', Boolean(problem));
    return problem;
  }

  async setImages(files) {
    this.images = [];
    this.el.imageList.textContent = files.length ? `decoding ${files.length} image${files.length > 1 ? 's' : ''}…` : '';
    const out = [];
    const bad = [];
    for (const f of files) {
      try {
        out.push(await decodeImage(f));
      } catch (e) {
        bad.push(e.message);
      }
    }
    this.images = out;
    this.showImages();
    if (bad.length) this.hooks.status(`${bad.join('; ')}: left out`);
  }

  showImages() {
    const n = this.images.length;
    this.el.imageList.textContent = n === 0 ? 'No images: auto measures on default inputs (seeded random values in each input\'s range).'
      : `${n} image${n > 1 ? 's' : ''} as samples: ${this.images.slice(0, 4).map((i) => `${i.name} (${i.width}×${i.height})`).join(', ')}` +
        `${n > 4 ? ` and ${n - 4} more` : ''}`;
    this.el.clearImages.hidden = n === 0;
  }

  progress(p, started) {
    const { progress, eta } = this.el;
    const total = Math.max(p.estimatedTotal ?? 0, p.evaluations ?? 0, 1);
    progress.max = total;
    progress.value = p.evaluations ?? 0;
    const elapsed = p.elapsedMs ?? performance.now() - started;
    // The rate from the first measurement on: loading the model and the
    // backend's warm-up (webgl compiles its shaders) come before it.
    this.first ??= { at: elapsed, evaluations: p.evaluations };
    const done = p.evaluations - this.first.evaluations;
    const rate = done > 0 ? (elapsed - this.first.at) / done : p.evaluations > 0 ? elapsed / p.evaluations : NaN;
    const left = rate * Math.max(0, total - p.evaluations);
    progress.setAttribute('aria-valuetext', `${p.evaluations} of about ${total} measurements`);
    eta.textContent = `${p.phase ? `${p.phase}: ` : ''}${p.evaluations} of about ${total} measurements, ` +
                      `${seconds(elapsed)} so far${Number.isFinite(left) ? `, about ${seconds(left)} left` : ''}`;
  }

  async run() {
    const model = this.hooks.model();
    if (!model || this.controller || this.unavailable) return;
    const problem = this.checkBudget();
    if (problem) {
      this.hooks.failed(new Error(problem));
      this.el.budget.focus();
      return;
    }
    const { el } = this;
    this.controller = new AbortController();
    this.first = null;
    const { signal } = this.controller;
    el.run.disabled = true;
    el.cancel.disabled = false;
    el.progress.removeAttribute('value');  // indeterminate until the first measurement
    el.eta.textContent = 'starting TensorFlow.js…';
    this.hooks.busy(true);
    const started = performance.now();
    let backend = '';
    try {
      const runner = this.hooks.runner;
      ({ backend } = await runner.ready());
      el.eta.textContent = `loading the model in TensorFlow.js (${backend})…`;
      const options = { budget: el.budget.value.trim(), count: 8, seed: 1, json: model.json,
                        ...(this.images.length ? { images: this.images } : {}) };
      const result = await runner.run(model.files, options, (p) => this.progress(p, started), signal);
      el.progress.max = Math.max(1, result.evaluations);
      el.progress.value = el.progress.max;
      el.eta.textContent = `done in ${seconds(performance.now() - started)}`;
      this.hooks.done(result, summary(result, backend));
    } catch (e) {
      const cancelled = e?.code === 'CANCELLED' || e?.name === 'AbortError' || signal.aborted;
      el.progress.value = 0;
      el.eta.textContent = cancelled ? 'cancelled' : 'stopped';
      // BUDGET_UNREACHABLE comes with what was written all the same.
      this.hooks.failed(e, cancelled, !cancelled && e?.result ? summary(e.result, backend) : '');
    } finally {
      this.controller = null;
      el.run.disabled = Boolean(this.unavailable);
      el.cancel.disabled = true;
      this.hooks.busy(false);
    }
  }
}
