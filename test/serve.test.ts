/** scripts/serve.mjs under hostile requests: real HTTP to 127.0.0.1, one test per rule. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { connect } from 'node:net';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type Served } from '../scripts/serve.mjs';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let server: Served;
let base: string; // holds root/ and a secret file outside it
let hostHeader: string;

/** One request with full control of method, Host header and body; `bodyBytes` declared, only `sent` of them written before the reply is awaited. */
function http(
  path: string,
  options: { method?: string; host?: string; headers?: Record<string, string>; declared?: number; sent?: number } = {},
): Promise<Reply> {
  return new Promise((ok, fail) => {
    const headers: Record<string, string> = { host: options.host ?? hostHeader, ...options.headers };
    if (options.declared !== undefined) headers['content-length'] = String(options.declared);
    const req = request(
      { host: '127.0.0.1', port: server.port, path, method: options.method ?? 'GET', headers, setHost: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          ok({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
          req.destroy();
        });
      },
    );
    req.on('error', fail);
    if (options.sent) req.write(Buffer.alloc(options.sent));
    // a request that declares more than it sends is left open: the reply must come without the rest
    if (options.declared === undefined || options.sent === options.declared) req.end();
  });
}

/** A raw request (for what node:http would not send: no Host header, absolute-form targets). */
function raw(text: string): Promise<string> {
  return new Promise((ok, fail) => {
    const socket = connect(server.port, '127.0.0.1', () => socket.write(text));
    let reply = '';
    socket.on('data', (d) => (reply += d.toString('latin1')));
    socket.on('end', () => ok(reply));
    socket.on('error', fail);
  });
}

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'pathlight-serve-'));
  const root = join(base, 'root');
  mkdirSync(join(root, 'models'), { recursive: true });
  mkdirSync(join(root, '.git'));
  writeFileSync(join(root, '.git', 'config'), '[core] secret');
  writeFileSync(join(root, '.env'), 'TOKEN=secret');
  writeFileSync(join(root, 'models', 'w.bin'), 'weights');
  writeFileSync(join(base, 'secret.txt'), 'outside the root');
  mkdirSync(join(base, 'outside-dir'));
  writeFileSync(join(base, 'outside-dir', 'x.txt'), 'outside too');
  symlinkSync(join(base, 'secret.txt'), join(root, 'leak.txt'));
  symlinkSync('/etc/passwd', join(root, 'passwd'));
  symlinkSync(join(base, 'outside-dir'), join(root, 'linked-dir'));
  symlinkSync(join(root, 'models', 'w.bin'), join(root, 'alias.bin')); // stays inside: allowed
  symlinkSync(join(root, '.env'), join(root, 'env.txt')); // inside, but onto a dotfile
  server = await serve({ root, files: { '/index.html': '<p>hello</p>', '/entry.js': 'export {}' }, quiet: true });
  hostHeader = `127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.close();
  rmSync(base, { recursive: true, force: true });
});

describe('scripts/serve.mjs', () => {
  it('serves in-memory files and files under the root with GET; HEAD sends the headers only', async () => {
    const page = await http('/');
    expect(page.status).toBe(200);
    expect(page.body).toBe('<p>hello</p>');
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect((await http('/models/w.bin?v=1')).body).toBe('weights');
    const head = await http('/models/w.bin', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('7');
    expect(head.body).toBe('');
    expect((await http('/models/missing.bin', { method: 'HEAD' })).status).toBe(404);
  });

  it('answers every other method with 405 and an Allow header', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'PATCH']) {
      const r = await http('/index.html', { method });
      expect(r.status, method).toBe(405);
      expect(r.headers.allow).toBe('GET, HEAD');
      expect(r.body).not.toContain('hello');
    }
  });

  it('refuses a request body without reading it', async () => {
    // 50 MB declared, 64 KB sent: the refusal arrives while the client is still "uploading"
    const post = await http('/index.html', { method: 'POST', declared: 50e6, sent: 65536 });
    expect(post.status).toBe(405);
    expect(post.headers.connection).toBe('close');
    const get = await http('/index.html', { declared: 50e6, sent: 65536 });
    expect(get.status).toBe(413);
    expect(get.headers.connection).toBe('close');
    expect((await http('/index.html', { headers: { 'transfer-encoding': 'chunked' } })).status).toBe(413);
    expect((await http('/index.html', { declared: 0, sent: 0 })).status).toBe(200);
  });

  it('answers only Host headers naming itself (no DNS rebinding)', async () => {
    expect((await http('/', { host: `localhost:${server.port}` })).status).toBe(200);
    expect((await http('/', { host: `LOCALHOST:${server.port}` })).status).toBe(200);
    for (const host of [
      'evil.example',
      `evil.example:${server.port}`,
      `127.0.0.1:${server.port + 1}`,
      '127.0.0.1',
      `127.0.0.1.nip.io:${server.port}`,
    ]) {
      const r = await http('/', { host });
      expect(r.status, host).toBe(403);
      expect(r.body).not.toContain('hello');
    }
    expect(await raw('GET / HTTP/1.0\r\n\r\n')).toMatch(/^HTTP\/1\.1 403 /);
  });

  it('keeps symlinks inside the root', async () => {
    for (const path of ['/leak.txt', '/passwd', '/linked-dir/x.txt', '/env.txt']) {
      const r = await http(path);
      expect(r.status, path).toBe(404);
      expect(r.body).toBe('not found\n');
    }
    expect((await http('/alias.bin')).body).toBe('weights');
  });

  it('serves no dotfiles or dot-folders, however the path is spelled', async () => {
    for (const path of [
      '/.git/config',
      '/.env',
      '/models/../.env',
      '/%2egit/config',
      '/models/%2e%2e/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/.git/',
    ]) {
      const r = await http(path);
      expect(r.status, path).toBe(404);
      expect(r.body).toBe('not found\n'); // fixed text: no path echoed
    }
  });

  it('answers bad percent-encodings and odd request targets with 400, never with exception text', async () => {
    for (const path of ['/%zz', '/models/%', '/%c0%af', '/a%00b']) {
      const r = await http(path);
      expect(r.status, path).toBe(400);
      expect(r.body).toBe('bad request path\n');
    }
    expect(
      await raw(
        `GET http://127.0.0.1:${server.port}/index.html HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`,
      ),
    ).toMatch(/^HTTP\/1\.1 400 /);
  });
});

describe('scripts/serve.mjs mounts and cross-origin isolation', () => {
  it('serves a mounted folder under its prefix with COOP/COEP when isolated, and keeps the root rules inside it', async () => {
    const pkg = join(base, 'pkg');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(join(pkg, 'engine.wasm'), 'wasm bytes');
    symlinkSync(join(base, 'secret.txt'), join(pkg, 'out.wasm'));
    const isolated = await serve({
      root: join(base, 'root'),
      mounts: { '/lib/pkg/': pkg },
      isolated: true,
      quiet: true,
    });
    const get = (path: string) =>
      new Promise<Reply>((ok, fail) => {
        const host = `127.0.0.1:${isolated.port}`;
        request({ host: '127.0.0.1', port: isolated.port, path, headers: { host }, setHost: false }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body }));
        })
          .on('error', fail)
          .end();
      });
    try {
      const wasm = await get('/lib/pkg/engine.wasm');
      expect(wasm.body).toBe('wasm bytes');
      expect(wasm.headers['content-type']).toBe('application/wasm');
      expect(wasm.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(wasm.headers['cross-origin-embedder-policy']).toBe('require-corp');
      expect((await get('/models/w.bin')).body).toBe('weights'); // the root still serves the rest
      for (const path of ['/lib/pkg/out.wasm', '/lib/pkg/../pkg/engine.wasm', '/lib/pkg/missing.wasm'])
        expect((await get(path)).status, path).toBe(404);
    } finally {
      await isolated.close();
    }
    // not isolated unless asked
    expect((await http('/index.html')).headers['cross-origin-embedder-policy']).toBeUndefined();
    await expect(serve({ mounts: { 'lib/': pkg } })).rejects.toThrow(/mount prefix 'lib\/' must look like \/name\//);
  });
});

describe('scripts/serve.mjs and special files', () => {
  it('answers /index.html from disk after five requests for a FIFO under its root (the FIFO: 404, never opened)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pathlight-serve-fifo-'));
    writeFileSync(join(dir, 'index.html'), '<p>on disk</p>');
    execFileSync('mkfifo', [join(dir, 'pipe.bin')]);
    // a server that opens the FIFO blocks a libuv pool thread per request until a writer comes:
    // this writer releases them every 2 s (so the test ends either way) and logs each release
    const log = join(dir, 'opened.log');
    const writer = spawn(
      'timeout',
      [
        '60',
        'sh',
        '-c',
        'while true; do sleep 2; printf x > "$0" && echo opened >> "$1"; done',
        join(dir, 'pipe.bin'),
        log,
      ],
      { stdio: 'ignore' },
    );
    const fifoServer = await serve({ root: dir, quiet: true });
    const host = `127.0.0.1:${fifoServer.port}`;
    /** GET `path`, or 'no answer' after 1.5 s (less than the writer's 2 s). */
    const get = (path: string) =>
      new Promise<string>((ok) => {
        const req = request(
          { host: '127.0.0.1', port: fifoServer.port, path, headers: { host: host }, setHost: false, agent: false },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => ok(`${res.statusCode} ${body.trim()}`));
          },
        );
        req.setTimeout(1500, () => {
          req.destroy();
          ok('no answer');
        });
        req.on('error', () => ok('no answer'));
        req.end();
      });
    try {
      const fifoReplies = Array.from({ length: 5 }, () => get('/pipe.bin'));
      await new Promise((ok) => setTimeout(ok, 300)); // time for them to reach the pool
      expect(await get('/index.html')).toBe('200 <p>on disk</p>');
      expect(await Promise.all(fifoReplies)).toEqual(Array(5).fill('404 not found'));
      expect(existsSync(log), 'the server opened the FIFO').toBe(false);
    } finally {
      writer.kill();
      await fifoServer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
