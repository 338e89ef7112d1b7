// npx tfjs-quant serve [DIR] [--port N] [--host H]: a static file server
// for the web page (dist/web/, the default DIR) or any folder, in plain
// Node (no dependency). It serves files under DIR and nothing else: the
// path is decoded and normalized, a `..` segment or a dot-file is refused,
// and the real path of what is found (symbolic links resolved) must still
// be inside DIR. GET and HEAD only.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { fileURLToPath } from 'node:url';

const USAGE = `Usage: tfjs-quant serve [DIR] [--port N] [--host H]

Serves DIR (default: the package's web page, dist/web/) over HTTP on
localhost, for the page that inspects and quantizes a model in the browser.

  DIR        the folder to serve (files under it only)
  --port N   the port (default 8080; 0 picks a free one)
  --host H   the address to bind (default 127.0.0.1)
  -h, --help this text

It prints one line, "tfjs-quant: serving DIR at URL", once it listens, and
stops on Ctrl-C (SIGINT) or SIGTERM.
`;

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.ico': 'image/x-icon',
};

class UsageError extends Error {}

function parseArgs(args) {
  const o = { dir: null, port: 8080, host: '127.0.0.1', help: false };
  const value = (name, i, inline) => {
    if (inline !== undefined) return inline;
    if (i + 1 >= args.length) throw new UsageError(`${name} needs a value`);
    return args[i + 1];
  };
  for (let i = 0; i < args.length; ++i) {
    const a = args[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : undefined;
    if (a === '-h' || a === '--help') {
      o.help = true;
    } else if (name === '--port') {
      const v = value(name, i, inline);
      if (inline === undefined) ++i;
      if (!/^\d+$/.test(v) || Number(v) > 65535) throw new UsageError(`--port: expected 0 to 65535, found ${v}`);
      o.port = Number(v);
    } else if (name === '--host') {
      const v = value(name, i, inline);
      if (inline === undefined) ++i;
      if (!v) throw new UsageError('--host: expected an address');
      o.host = v;
    } else if (a.startsWith('-') && a !== '-') {
      throw new UsageError(`unknown option ${a}`);
    } else if (o.dir === null) {
      o.dir = a;
    } else {
      throw new UsageError(`one DIR only (found ${o.dir} and ${a})`);
    }
  }
  return o;
}

function inside(root, p) {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

function send(res, status, head, text = '') {
  const body = Buffer.from(text ? `${text}\n` : '');
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length,
                          'x-content-type-options': 'nosniff', ...head });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** The request handler for the folder `root` (a real path). */
export function handler(root) {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, { allow: 'GET, HEAD' }, 'method not allowed');
    }
    let segments;
    try {
      const raw = (req.url ?? '/').split(/[?#]/, 1)[0];
      if (!raw.startsWith('/')) return send(res, 400, {}, 'bad request');
      segments = raw.slice(1).split('/').map(decodeURIComponent);
    } catch {
      return send(res, 400, {}, 'bad request');
    }
    const trailing = segments.length > 0 && segments[segments.length - 1] === '';
    const parts = segments.filter((s) => s !== '' && s !== '.');
    // `..`, a path separator or NUL inside a segment, or a dot-file: refused.
    if (parts.some((s) => s === '..' || s.includes('/') || s.includes('\\') || s.includes('\0'))) {
      return send(res, 403, {}, 'forbidden');
    }
    if (parts.some((s) => s.startsWith('.'))) return send(res, 404, {}, 'not found');
    let file = path.join(root, ...parts);
    let real;
    let st;
    try {
      real = fs.realpathSync(file);
      if (!inside(root, real)) return send(res, 403, {}, 'forbidden');
      st = fs.statSync(real);
      if (st.isDirectory()) {
        if (!trailing && parts.length > 0) {
          // So that the page's relative URLs resolve inside the folder.
          return send(res, 301, { location: `${encodeURIComponent(parts[parts.length - 1])}/` }, 'moved');
        }
        file = path.join(real, 'index.html');
        real = fs.realpathSync(file);
        if (!inside(root, real)) return send(res, 403, {}, 'forbidden');
        st = fs.statSync(real);
      }
    } catch {
      return send(res, 404, {}, 'not found');
    }
    if (!st.isFile()) return send(res, 404, {}, 'not found');
    const type = TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    res.writeHead(200, { 'content-type': type, 'content-length': st.size, 'cache-control': 'no-cache',
                         'x-content-type-options': 'nosniff' });
    if (req.method === 'HEAD') return res.end();
    // pipeline, not pipe: a client that goes away first must close the file
    // too (pipe leaves it open, one descriptor per cancelled download, until
    // the server can accept nothing). A read error ends the response short,
    // which the client sees from content-length; neither is worth a message.
    pipeline(fs.createReadStream(real), res, () => {});
  };
}

/** Runs `tfjs-quant serve` with its arguments (after "serve"). */
export function main(args) {
  let o;
  try {
    o = parseArgs(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`tfjs-quant: error: serve: ${e.message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (o.help) {
    process.stdout.write(USAGE);
    return;
  }
  const dir = o.dir ?? fileURLToPath(new URL('../dist/web/', import.meta.url));
  let root;
  try {
    root = fs.realpathSync(dir);
    if (!fs.statSync(root).isDirectory()) throw new Error('not a folder');
  } catch (e) {
    process.stderr.write(`tfjs-quant: error: serve: ${dir}: ${e.code === 'ENOENT' ? 'no such folder' : 'not a folder'}` +
                         `${o.dir === null ? ' (the package was installed without its web page: build it with npm run build)' : ''}\n`);
    process.exitCode = 3;
    return;
  }
  const server = http.createServer(handler(root));
  server.on('error', (e) => {
    const why = e.code === 'EADDRINUSE' ? `port ${o.port} is in use (--port 0 picks a free one)`
              : e.code === 'EACCES' ? `no permission to listen on port ${o.port}` : e.message;
    process.stderr.write(`tfjs-quant: error: serve: ${why}\n`);
    process.exit(1);
  });
  server.listen(o.port, o.host, () => {
    const { address, port } = server.address();
    const host = address.includes(':') ? `[${address}]` : address;
    process.stdout.write(`tfjs-quant: serving ${root} at http://${host}:${port}/\n`);
  });
  const stop = () => {
    server.close();
    server.closeAllConnections?.();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
