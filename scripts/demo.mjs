/**
 * The demo page: bundle demo/main.ts (esbuild, in memory) and serve it with demo/index.html and
 * demo/style.css on 127.0.0.1. Only assets/ is served from disk (weights at models/, samples at
 * samples/), read per request, so weights trained while the server runs are picked up on reload.
 * The FER-2013 emotion model of @vladmandic/human (a devDependency) is served, when installed, at
 * its node_modules URL: just its model.json and shard, read once into memory (node_modules itself
 * stays outside what the server can reach), with the face fixture as its sample.
 *
 *   npm run demo [-- port]
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle, ROOT } from '../esbuild.config.mjs';
import { serve } from './serve.mjs';

/** The URL folder of the emotion model, as the page asks for it (demo/assets.ts EMOTION_DIR). */
const EMOTION_URL = '/node_modules/@vladmandic/human/models';
const FACE_URL = '/faces/face-64.png';

/**
 * The emotion model's files and the face sample as in-memory routes, or none when the model is
 * not installed (an install without devDependencies): then the page does not offer it.
 * @param {string | null} dir the folder holding emotion.json and emotion.bin
 */
function emotionFiles(dir) {
  const names = ['emotion.json', 'emotion.bin'];
  const face = join(ROOT, 'test/fixtures/face-64.png');
  if (!dir || !names.every((n) => existsSync(join(dir, n))) || !existsSync(face)) return {};
  return {
    ...Object.fromEntries(names.map((n) => [`${EMOTION_URL}/${n}`, readFileSync(join(dir, n))])),
    [FACE_URL]: readFileSync(face),
  };
}

/**
 * Build and serve the demo.
 * @param {{ port?: number, assets?: string, emotion?: string | null }} [options] assets: the folder
 *   served as models/ and samples/ (default: the repository's assets/; tests point it at a scratch
 *   copy); emotion: the folder of the TF.js emotion model (default: @vladmandic/human's models/ in
 *   node_modules; null: none, as without devDependencies)
 */
export async function startDemo(options = {}) {
  const page = (f) => readFileSync(join(ROOT, 'demo', f), 'utf8');
  const js = await bundle('demo/main.ts');
  const emotion = options.emotion === undefined ? join(ROOT, 'node_modules/@vladmandic/human/models') : options.emotion;
  return serve({
    root: options.assets ?? join(ROOT, 'assets'),
    files: {
      '/index.html': page('index.html'),
      '/style.css': page('style.css'),
      '/main.js': js,
      ...emotionFiles(emotion),
    },
    port: options.port,
    quiet: true,
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2] ?? 0) || undefined;
  const { url } = await startDemo({ port });
  console.log(`pathlight demo at ${url} (open it in a browser with WebGPU; Ctrl-C to stop)`);
}
