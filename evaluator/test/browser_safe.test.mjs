// Guards the split between the browser-safe core (also loaded by a web page,
// with tfjs as the global `tf`) and the Node-only layer: a browser-safe module
// may import only other browser-safe modules, by relative path, and must not
// touch Node globals. A page that loads one of them would otherwise fail on
// the first 'node:fs' or bare '@tensorflow/...' specifier.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const LIB = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'lib');
const BROWSER_SAFE = ['artifacts.mjs', 'errors.mjs', 'evaluator.mjs', 'inputs.mjs', 'metrics.mjs',
  'model.mjs', 'npy.mjs', 'prng.mjs', 'resize.mjs'];
const NODE_ONLY = ['commands.mjs', 'images.mjs', 'inputs_dir.mjs', 'io_handler.mjs', 'protocol.mjs', 'tf.mjs'];

/** Source without comments (block, then line comments that start a line or follow a space). */
const stripComments = src => src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1');

/**
 * Module specifiers of a module's import/export-from statements (statements
 * may span lines). Throws on dynamic import() and require(), and when an
 * `import` statement is not understood, so nothing slips past unparsed.
 */
function parseImports(src, file) {
  const code = stripComments(src);
  if (/\bimport\s*\(/.test(code)) throw new Error(`${file}: dynamic import()`);
  if (/\brequire\s*\(/.test(code)) throw new Error(`${file}: require()`);
  const specs = [];
  let statements = 0;
  for (const m of code.matchAll(/(?:^|[;\n])\s*(import|export)\b([^;'"`]*?)\bfrom\s*(['"])([^'"]+)\3/g)) {
    specs.push(m[4]);
    if (m[1] === 'import') statements++;
  }
  for (const m of code.matchAll(/(?:^|[;\n])\s*import\s*(['"])([^'"]+)\1/g)) {
    specs.push(m[2]);
    statements++;
  }
  const imports = (code.match(/(?:^|[;\n])\s*import\b/g) || []).length;
  if (imports !== statements) throw new Error(`${file}: ${imports} import statements, ${statements} understood`);
  return specs;
}

test('the import parser sees multi-line, side-effect and bare imports', () => {
  const src = "// import x from 'commented';\nimport fs from 'node:fs';\nimport {\n  a,\n  b,\n} from './x.mjs';\nimport './side.mjs';\nexport { c } from \"@scope/pkg\";\n";
  assert.deepEqual(parseImports(src, 't'), ['node:fs', './x.mjs', '@scope/pkg', './side.mjs']);
  assert.throws(() => parseImports("const m = await import('node:fs');", 't'), /dynamic import/);
  assert.throws(() => parseImports("const fs = require('fs');", 't'), /require/);
});

test('every lib/ module is classified as browser-safe or Node-only', () => {
  const files = fs.readdirSync(LIB).filter(f => f.endsWith('.mjs')).sort();
  assert.deepEqual(files, [...BROWSER_SAFE, ...NODE_ONLY].sort());
});

test('browser-safe modules import only relative browser-safe modules and no Node globals', () => {
  for (const file of BROWSER_SAFE) {
    const src = fs.readFileSync(path.join(LIB, file), 'utf8');
    for (const spec of parseImports(src, file)) {
      assert.ok(spec.startsWith('./'), `${file} imports '${spec}': only relative imports are browser-safe`);
      const target = path.posix.normalize(spec).replace(/^\.\//, '');
      assert.ok(BROWSER_SAFE.includes(target), `${file} imports '${spec}', which is not a browser-safe module`);
    }
    const code = stripComments(src);
    const node = /\b(?:process|Buffer)\s*\.|\b__dirname\b|\b__filename\b|\bimport\.meta\b/.exec(code);
    assert.equal(node, null, `${file} uses ${node && node[0]}, which a browser lacks`);
  }
});
