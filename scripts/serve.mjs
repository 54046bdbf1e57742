/**
 * A tiny static server on 127.0.0.1 (a secure context, so WebGPU is exposed) shared by the
 * browser tests, the benchmark and the demo. Serves files from `root` plus optional in-memory
 * `files` (e.g. a freshly built bundle), on a random free port unless one is given.
 */
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';

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

function contentType(path) {
  return TYPES[extname(path)] ?? 'application/octet-stream';
}

/**
 * @param {{ root?: string, files?: Record<string, string | Uint8Array>, port?: number, quiet?: boolean }} [options]
 * @returns {Promise<{ url: string, port: number, server: import('node:http').Server, close: () => Promise<void> }>}
 */
export async function serve(options = {}) {
  const root = options.root ? resolve(options.root) : null;
  const files = new Map(Object.entries(options.files ?? {}).map(([k, v]) => [k.startsWith('/') ? k : `/${k}`, v]));

  const server = createServer(async (req, res) => {
    try {
      let path = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
      if (path.endsWith('/')) path += 'index.html';
      const body = files.get(path) ?? (await fromDisk(root, path));
      if (body === null) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
        return;
      }
      // no-store: a rebuilt bundle must never be served stale from the browser cache
      res.writeHead(200, { 'content-type': contentType(path), 'cache-control': 'no-store' }).end(body);
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e));
    }
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

async function fromDisk(root, path) {
  if (!root) return null;
  const full = normalize(join(root, path));
  if (full !== root && !full.startsWith(root + sep)) return null; // no escaping the root
  try {
    if (!(await stat(full)).isFile()) return null;
    return await readFile(full);
  } catch {
    return null;
  }
}

// `node scripts/serve.mjs [dir] [port]`: serve a folder (e.g. demo/) by hand.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { url } = await serve({ root: process.argv[2] ?? '.', port: Number(process.argv[3] ?? 0) || undefined, quiet: true });
  console.log(`serving ${resolve(process.argv[2] ?? '.')} at ${url} (Ctrl-C to stop)`);
}
