// auto off the page's thread: TensorFlow.js (the vendor/ UMD bundles, by
// importScripts, hence a classic worker) and the package's auto() run
// here, so the page keeps drawing the progress and taking clicks while
// every candidate is measured. Cancel ends the worker (the page starts a
// fresh one): it does not wait for the search to look at a signal.
//
// The backend: webgl, else wasm, else cpu; wasm first where WebGL runs on
// the CPU. Messages in: {type: 'init', backend} ({type: 'ready', backend, version, note}
// or {type: 'init-failed', message}), {type: 'run', files, options}
// ({type: 'progress', progress}..., then {type: 'done', result} or
// {type: 'failed', error: {message, code, result}}).
'use strict';

const BUNDLES = ['tf-core.min.js', 'tf-converter.min.js', 'tf-layers.min.js', 'tf-backend-webgl.min.js',
                 'tf-backend-wasm.min.js'];
const ORDER = ['webgl', 'wasm', 'cpu'];
let api = null;

// The WebGL renderer when it is a CPU rasterizer (SwiftShader, llvmpipe:
// a browser without a GPU), where tfjs's wasm backend is many times faster.
function softwareWebgl() {
  try {
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2') ?? new OffscreenCanvas(1, 1).getContext('webgl');
    if (!gl) return null;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return /swiftshader|llvmpipe|softpipe|software|basic render/i.test(renderer) ? renderer : null;
  } catch {
    return null;
  }
}

async function start(requested) {
  importScripts(...BUNDLES.map((b) => `vendor/${b}`));
  const tf = self.tf;
  // The wasm backend fetches its .wasm files from here (beside this worker).
  tf.wasm.setWasmPaths(new URL('vendor/', self.location.href).href);
  let backend = null;
  let note = '';
  let order = ORDER;
  if (!requested && softwareWebgl()) {
    order = ['wasm', 'webgl', 'cpu'];
    note = 'WebGL is software-rendered here';
  }
  for (const name of requested ? [requested] : order) {
    if (name === 'cpu' && !tf.findBackendFactory('cpu')) importScripts('vendor/tf-backend-cpu.min.js');
    try {
      if ((await tf.setBackend(name)) && tf.getBackend() === name) {
        backend = name;
        break;
      }
    } catch { /* the next one */ }
  }
  if (!backend) {
    throw new Error(requested ? `the ${requested} backend did not start in a worker`
                              : 'no TensorFlow.js backend started in a worker (webgl, wasm, cpu)');
  }
  api = await import('./pkg/src/index.js');
  if (typeof api.auto !== 'function') throw new Error('this build of the package has no auto()');
  return { backend, version: tf.version?.['tfjs-core'] ?? tf.version_core ?? '', note: backend === 'wasm' ? note : '' };
}

function transferOf(files) {
  return files instanceof Map ? [...files.values()].map((b) => b.buffer) : [];
}

self.onmessage = async ({ data }) => {
  if (data.type === 'init') {
    try {
      self.postMessage({ type: 'ready', ...(await start(data.backend)) });
    } catch (e) {
      self.postMessage({ type: 'init-failed', message: e?.message ?? String(e) });
    }
  } else if (data.type === 'run') {
    try {
      const result = await api.auto(data.files, {
        ...data.options, tf: self.tf, onProgress: (progress) => self.postMessage({ type: 'progress', progress }),
      });
      self.postMessage({ type: 'done', result }, transferOf(result.files));
    } catch (e) {
      const error = { message: e?.message ?? String(e), code: e?.code ?? 'INTERNAL', result: e?.result };
      self.postMessage({ type: 'failed', error }, transferOf(e?.result?.files));
    }
  }
};
