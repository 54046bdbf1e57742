/**
 * The demo page: bundle demo/main.ts (esbuild, in memory) and serve it with demo/index.html and
 * demo/style.css on 127.0.0.1. Only assets/ is served from disk (weights at models/, samples at
 * samples/), read per request, so weights trained while the server runs are picked up on reload.
 *
 *   npm run demo [-- port]
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle, ROOT } from '../esbuild.config.mjs';
import { serve } from './serve.mjs';

/**
 * Build and serve the demo.
 * @param {{ port?: number, assets?: string }} [options] assets: the folder served as models/ and
 *   samples/ (default: the repository's assets/; tests point it at a scratch copy)
 */
export async function startDemo(options = {}) {
  const page = (f) => readFileSync(join(ROOT, 'demo', f), 'utf8');
  const js = await bundle('demo/main.ts');
  return serve({
    root: options.assets ?? join(ROOT, 'assets'),
    files: { '/index.html': page('index.html'), '/style.css': page('style.css'), '/main.js': js },
    port: options.port,
    quiet: true,
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2] ?? 0) || undefined;
  const { url } = await startDemo({ port });
  console.log(`pathlight demo at ${url} (open it in a browser with WebGPU; Ctrl-C to stop)`);
}
