/**
 * A tiny static server on 127.0.0.1 (a secure context, so WebGPU is exposed) shared by the
 * browser tests, the benchmark and the demo. Serves files from `root` plus optional in-memory
 * `files` (e.g. a freshly built bundle) and `mounts` (a URL prefix → a folder, e.g. a package's
 * .wasm files), on a random free port unless one is given. `isolated` adds COOP/COEP headers, so
 * the page is cross-origin isolated (SharedArrayBuffer: the TF.js and onnxruntime wasm threads).
 *
 * It is reachable by any page the browser opens, so it serves as little as it can:
 * - GET and HEAD only (405 with Allow otherwise); a request with a body is refused (413) unread;
 * - the Host header must name this server (127.0.0.1:port or localhost:port), so a DNS-rebinding
 *   page cannot read it (403);
 * - no path segment may start with '.' (.git/, .env, ..: 404), bad percent-encodings are 400;
 * - files are resolved with realpath and must stay inside the root (a symlink out of it: 404), and
 *   must be regular files, stat'd before opening and opened non-blocking (a FIFO: 404, never a
 *   blocked pool thread);
 * - error bodies are fixed texts, never exception messages or paths.
 */
import { createServer } from 'node:http';
import { constants } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.wgsl': 'text/plain; charset=utf-8',
};

const ALLOW = 'GET, HEAD';

function contentType(path) {
  return TYPES[extname(path)] ?? 'application/octet-stream';
}

/**
 * @param {{ root?: string, files?: Record<string, string | Uint8Array>, mounts?: Record<string, string>, isolated?: boolean, port?: number, quiet?: boolean }} [options]
 * @returns {Promise<{ url: string, port: number, server: import('node:http').Server, close: () => Promise<void> }>}
 */
export async function serve(options = {}) {
  const root = options.root ? await realpath(resolve(options.root)) : null;
  const files = new Map(Object.entries(options.files ?? {}).map(([k, v]) => [k.startsWith('/') ? k : `/${k}`, v]));
  /** [prefix '/a/b/', realpath'd folder], longest prefix first */
  const mounts = [];
  for (const [prefix, dir] of Object.entries(options.mounts ?? {})) {
    if (!/^\/([\w-]+\/)+$/.test(prefix)) throw new Error(`serve: mount prefix '${prefix}' must look like /name/`);
    mounts.push([prefix, await realpath(resolve(dir))]);
  }
  mounts.sort((a, b) => b[0].length - a[0].length);
  const isolation = options.isolated
    ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' }
    : {};
  /** Host headers naming this server; filled once the port is known. */
  const hosts = new Set();

  const server = createServer((req, res) => {
    respond(req, res, { root, files, mounts, hosts, isolation }).catch((e) => {
      if (!options.quiet)
        console.error(`serve: ${req.method} ${req.url}: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) send(res, 500, 'internal server error');
      else res.destroy();
    });
  });
  // Browsers keep connections alive; track sockets so close() never waits on them.
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => ok(undefined));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  hosts.add(`127.0.0.1:${port}`).add(`localhost:${port}`);
  const url = `http://127.0.0.1:${port}/`;
  if (!options.quiet) console.log(`serving ${root ?? '(memory)'} at ${url}`);
  return {
    url,
    port,
    server,
    close: () =>
      new Promise((ok) => {
        for (const s of sockets) s.destroy();
        server.close(() => ok(undefined));
      }),
  };
}

/** A fixed-text response; `close` ends the connection after it, so an unread request body is never read. */
function send(res, status, text, { close = false, headers = {} } = {}) {
  const body = Buffer.from(`${text}\n`);
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': body.length,
    'x-content-type-options': 'nosniff',
    ...(close ? { connection: 'close' } : {}),
    ...headers,
  });
  res.end(body);
}

/** Why a request is refused before its path is looked at: [status, text, extra headers], or null. */
function refusal(req, hosts) {
  if (!hosts.has((req.headers.host ?? '').toLowerCase())) return [403, 'forbidden: unknown Host header'];
  if (req.method !== 'GET' && req.method !== 'HEAD') return [405, 'method not allowed', { allow: ALLOW }];
  const length = req.headers['content-length'];
  if (req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0'))
    return [413, 'request bodies are not accepted'];
  return null;
}

/** The decoded path of an origin-form request target ('/a/b?q'), or null when it is malformed. */
function requestPath(target) {
  if (!target.startsWith('/')) return null; // absolute-form ('http://host/…') or '*'
  let path;
  try {
    path = decodeURIComponent(target.split(/[?#]/, 1)[0]);
  } catch {
    return null; // %zz, truncated or invalid UTF-8 escapes
  }
  return path.includes('\0') ? null : path;
}

/** Any segment starting with '.': dotfiles and dot-folders (.git, .env) and '..'. */
function hasDotSegment(path, separator = '/') {
  return path.split(separator).some((s) => s.startsWith('.'));
}

/** The file for `path`: an in-memory file, else under the longest matching mount, else under the root. */
async function lookup(path, { root, files, mounts }) {
  if (hasDotSegment(path)) return null;
  if (files.has(path)) return files.get(path);
  const mount = mounts.find(([prefix]) => path.startsWith(prefix));
  return mount ? fromDisk(mount[1], path.slice(mount[0].length - 1)) : fromDisk(root, path);
}

async function respond(req, res, { root, files, mounts, hosts, isolation }) {
  const refused = refusal(req, hosts);
  if (refused) {
    const [status, text, headers] = refused;
    send(res, status, text, { close: true, headers });
    return;
  }
  let path = requestPath(req.url ?? '');
  if (path === null) {
    send(res, 400, 'bad request path', { close: true });
    return;
  }
  if (path.endsWith('/')) path += 'index.html';
  const body = await lookup(path, { root, files, mounts });
  if (body === null) {
    send(res, 404, 'not found');
    return;
  }
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  // no-store: a rebuilt bundle must never be served stale from the browser cache
  res.writeHead(200, {
    'content-type': contentType(path),
    'content-length': bytes.length,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...isolation,
  });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

/** The file at `path` under `root` (already realpath'd), or null when it is missing, not a file or (after links) outside the root. */
async function fromDisk(root, path) {
  if (!root) return null;
  let real;
  try {
    real = await realpath(join(root, path));
  } catch {
    return null;
  }
  const inside = relative(root, real);
  if (
    inside === '' ||
    inside.startsWith(`..${sep}`) ||
    inside === '..' ||
    isAbsolute(inside) ||
    hasDotSegment(inside, sep)
  )
    return null;
  // Only regular files, checked before opening: opening a FIFO blocks one of libuv's 4 pool threads
  // until a writer comes, so a few requests for one would stall every file read of the server.
  try {
    if (!(await stat(real)).isFile()) return null;
  } catch {
    return null;
  }
  // O_NONBLOCK: a FIFO swapped in after the stat still opens at once (and fstat refuses it);
  // O_NOFOLLOW: if the last component was swapped for a link after realpath, refuse rather than follow it
  let file;
  try {
    file = await open(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    return (await file.stat()).isFile() ? await file.readFile() : null;
  } finally {
    await file.close();
  }
}

// `node scripts/serve.mjs [dir] [port]`: serve a folder (e.g. demo/) by hand.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir = '.', portArg = '0'] = process.argv.slice(2);
  if (!/^[0-9]+$/.test(portArg) || Number(portArg) > 65535) {
    console.error(`serve: the port must be a number from 0 to 65535, got '${portArg}'`);
    process.exit(1);
  }
  const { url } = await serve({ root: dir, port: Number(portArg) || undefined, quiet: true });
  console.log(`serving ${resolve(dir)} at ${url} (Ctrl-C to stop)`);
}
