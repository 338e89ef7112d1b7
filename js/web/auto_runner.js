// Where auto runs: in a worker (auto_worker.js) when TensorFlow.js starts
// there, else in the page (tf_loader.js, the global tf). Either way:
// ready() -> {backend, version, where}, run(files, options, onProgress,
// signal) -> auto's result, or a rejection {message, code, result}
// (code 'CANCELLED' when the signal aborts).
import { loadTf } from './tf_loader.js';

export class AutoError extends Error {
  constructor({ message, code, result }) {
    super(message);
    this.code = code;
    if (result) this.result = result;
  }
}

export class AutoRunner {
  /** `backend`: one of webgl, wasm, cpu, or null (webgl, else wasm, else cpu). */
  constructor(backend) {
    this.requested = backend;
    this.worker = null;
    this.info = null;
    this.readyPromise = null;
  }

  // A worker with tf loaded and its backend set; resolves its info or rejects.
  startWorker() {
    return new Promise((resolve, reject) => {
      let worker;
      try {
        worker = new Worker(new URL('./auto_worker.js', import.meta.url));
      } catch (e) {
        reject(e);
        return;
      }
      worker.onmessage = ({ data }) => {
        if (data.type === 'ready') {
          this.worker = worker;
          resolve({ backend: data.backend, version: data.version, where: 'worker', note: data.note ?? '' });
        } else if (data.type === 'init-failed') {
          worker.terminate();
          reject(new Error(data.message));
        }
      };
      worker.onerror = (e) => {
        e.preventDefault?.();
        worker.terminate();
        reject(new Error(e.message || 'the auto worker did not start'));
      };
      worker.postMessage({ type: 'init', backend: this.requested });
    });
  }

  ready() {
    if (!this.readyPromise) {
      this.readyPromise = this.startWorker().catch(async (why) => {
        // In the page instead: the global tf from the same bundles.
        const r = await loadTf(this.requested);
        this.tf = r.tf;
        this.api = await import('./pkg/src/index.js');
        return { backend: r.backend, version: r.version, where: 'page', note: r.note, whyNotWorker: why.message };
      }).then((info) => {
        this.info = info;
        return info;
      });
    }
    return this.readyPromise;
  }

  async run(files, options, onProgress, signal) {
    const info = await this.ready();
    if (signal?.aborted) throw new AutoError({ message: 'auto was cancelled', code: 'CANCELLED' });
    if (info.where === 'page') {
      if (typeof this.api.auto !== 'function') throw new Error('this build of the package has no auto()');
      return this.api.auto(files, { ...options, tf: this.tf, signal, onProgress });
    }
    const worker = this.worker;
    return new Promise((resolve, reject) => {
      const finish = () => {
        signal?.removeEventListener('abort', abort);
        worker.onmessage = null;
        worker.onerror = null;
      };
      const abort = () => {
        finish();
        // The search does not stop between its steps for a message: the
        // worker goes, a fresh one takes its place for the next run.
        worker.terminate();
        this.worker = null;
        this.readyPromise = null;
        this.ready().catch(() => {});
        reject(new AutoError({ message: 'auto was cancelled', code: 'CANCELLED' }));
      };
      signal?.addEventListener('abort', abort, { once: true });
      worker.onmessage = ({ data }) => {
        if (data.type === 'progress') onProgress?.(data.progress);
        else if (data.type === 'done') {
          finish();
          resolve(data.result);
        } else if (data.type === 'failed') {
          finish();
          reject(new AutoError(data.error));
        }
      };
      worker.onerror = (e) => {
        e.preventDefault?.();
        finish();
        worker.terminate();
        this.worker = null;
        this.readyPromise = null;
        reject(new AutoError({ message: `the auto worker stopped: ${e.message || 'out of memory?'}`, code: 'INTERNAL' }));
      };
      // The page keeps its copy of the model: the worker gets one.
      worker.postMessage({ type: 'run', files, options });
    });
  }
}
