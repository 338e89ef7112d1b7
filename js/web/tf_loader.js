// TensorFlow.js for auto's measurements: the stock 4.22.0 UMD bundles in
// vendor/ (global `tf`), loaded in the background once the page is up, and
// a backend: webgl when it starts (and runs on a GPU: a software WebGL
// such as SwiftShader is far slower than wasm), wasm otherwise;
// ?backend=wasm|webgl|cpu forces one.

const BUNDLES = ['tf-core.min.js', 'tf-converter.min.js', 'tf-layers.min.js', 'tf-backend-webgl.min.js',
                 'tf-backend-wasm.min.js'];
export const BACKENDS = ['webgl', 'wasm', 'cpu'];

function script(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.async = false;  // run in the order inserted: core first
    s.onload = resolve;
    s.onerror = () => reject(new Error(`${src} did not load`));
    document.head.append(s);
  });
}

// The WebGL renderer when it is a CPU rasterizer (SwiftShader, llvmpipe:
// a browser without a GPU), where tfjs's wasm backend is many times faster.
export function softwareWebgl() {
  try {
    const canvas = document.createElement('canvas');
    const gl = canvas.getContext('webgl2') ?? canvas.getContext('webgl');
    if (!gl) return null;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return /swiftshader|llvmpipe|softpipe|software|basic render/i.test(renderer) ? renderer : null;
  } catch {
    return null;
  }
}

async function tryBackend(tf, name) {
  if (name === 'cpu' && !tf.findBackendFactory('cpu')) await script('vendor/tf-backend-cpu.min.js');
  try {
    return (await tf.setBackend(name)) && tf.getBackend() === name;
  } catch {
    return false;
  }
}

/**
 * Loads tf and sets its backend. `requested`: one of BACKENDS or null
 * (webgl, else wasm, else cpu). Resolves {tf, backend, version, note}.
 */
let bundles = null;

export async function loadTf(requested) {
  bundles ??= Promise.all(BUNDLES.map((b) => script(`vendor/${b}`)));
  await bundles;
  const tf = window.tf;
  // The wasm backend fetches its .wasm files from here (relative to the page).
  tf.wasm.setWasmPaths('vendor/');
  const software = !requested && softwareWebgl();
  const order = requested ? [requested] : software ? ['wasm', 'webgl', 'cpu'] : BACKENDS;
  for (const name of order) {
    if (await tryBackend(tf, name)) {
      return { tf, backend: name, version: tf.version?.['tfjs-core'] ?? tf.version_core ?? '',
               note: software && name === 'wasm' ? 'WebGL is software-rendered here' : '' };
    }
  }
  throw new Error(requested ? `the ${requested} backend did not start in this browser`
                            : 'no TensorFlow.js backend started (webgl, wasm, cpu)');
}
