// inspect and quantize for the page: in a module worker (worker.js) so the
// page stays responsive, or in the page itself where a module worker cannot
// start. Errors come back as TfjsQuantError-like {message, code}.

export class EngineError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

class InPage {
  constructor() {
    this.api = import('./pkg/src/index.js');
    this.model = null;
  }
  async call(op, args) {
    const tq = await this.api;
    try {
      if (op === 'load') {
        this.model = args;
        return true;
      }
      if (op === 'inspect') return await tq.inspect(this.model.files, { wire: args.wire, json: this.model.json });
      if (op === 'quantize') return await tq.quantize(this.model.files, { plan: args.plan, json: this.model.json });
      if (op === 'match') return await tq.matchNames(args.names, args.patterns);
    } catch (e) {
      throw new EngineError(e.message, e.code ?? 'INTERNAL');
    }
    throw new EngineError(`unknown operation ${op}`, 'INTERNAL');
  }
}

class InWorker {
  constructor() {
    this.next = 1;
    this.pending = new Map();
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    this.started = new Promise((resolve, reject) => {
      this.pending.set(0, { resolve, reject });
    });
    this.worker.onmessage = ({ data }) => {
      const p = this.pending.get(data.id);
      if (!p) return;
      this.pending.delete(data.id);
      if (data.ok) p.resolve(data.value);
      else p.reject(new EngineError(data.error.message, data.error.code));
    };
    this.worker.onerror = (e) => {
      e.preventDefault?.();
      this.fail(new EngineError(`the worker stopped: ${e.message || 'it could not start'}`, 'WORKER'));
    };
    this.worker.onmessageerror = () => this.fail(new EngineError('a message to the worker was lost', 'WORKER'));
  }
  fail(error) {
    this.broken = error;
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    this.worker.terminate();
  }
  call(op, args) {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, args });
    });
  }
}

/**
 * {load(model), inspect({wire}), quantize({plan}), match(names, patterns)}: a worker when one
 * starts, else the page. `where` says which.
 */
export class Engine {
  constructor() {
    this.impl = null;
    this.where = 'worker';
    this.model = null;
    try {
      const w = new InWorker();
      this.ready = w.started.then(() => { this.impl = w; }, () => this.fallBack());
    } catch {
      this.ready = Promise.resolve(this.fallBack());
    }
  }
  fallBack() {
    this.impl = new InPage();
    this.where = 'page';
  }
  async call(op, args) {
    await this.ready;
    try {
      return await this.impl.call(op, args);
    } catch (e) {
      if (e.code !== 'WORKER' || this.where === 'page') throw e;
      // The worker died (out of memory, most likely): go on in the page.
      this.fallBack();
      if (op !== 'load' && this.model) await this.impl.call('load', this.model);
      return this.impl.call(op, args);
    }
  }
  load(model) {
    this.model = model;
    return this.call('load', model);
  }
  inspect(wire) {
    return this.call('inspect', { wire });
  }
  quantize(plan) {
    return this.call('quantize', { plan });
  }
  /** The names the CLI's patterns take (the core's fnmatch). */
  match(names, patterns) {
    return this.call('match', { names, patterns });
  }
}
