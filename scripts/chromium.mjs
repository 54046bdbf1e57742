/**
 * Launch headless Chromium with WebGPU for the browser tests, the benchmark and the demo.
 * On a GPU-less machine Chromium's WebGPU falls back to SwiftShader (CPU Vulkan, bundled with
 * Debian's chromium); `--enable-unsafe-webgpu` is the only extra flag that needs (without it
 * navigator.gpu exists but requestAdapter() returns null on Linux).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM_PATH = process.env.PATHLIGHT_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  // running as root in CI/containers needs --no-sandbox; the rest keep a test run quiet and offline
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--headless=new',
];

/** Throw a readable error when Chromium is missing (the caller decides whether that fails a test). */
export function checkChromium(path = CHROMIUM_PATH) {
  if (!existsSync(path)) {
    throw new Error(
      `Chromium not found at ${path}: run \`npm run setup\` (installs Debian's chromium and libvulkan1 as root), or set PATHLIGHT_CHROMIUM to a Chromium/Chrome binary`,
    );
  }
}

/**
 * Start Chromium with a fresh profile. `close()` closes the browser (SIGKILL if it does not go
 * within 10 s) and deletes the profile; it is safe to call twice.
 * @param {{ args?: string[], timeout?: number }} [options]
 */
export async function launchChromium(options = {}) {
  checkChromium();
  const { default: puppeteer } = await import('puppeteer-core');
  const userDataDir = mkdtempSync(join(tmpdir(), 'pathlight-chromium-'));
  let browser;
  try {
    browser = await puppeteer.launch({
      executablePath: CHROMIUM_PATH,
      headless: true,
      pipe: true, // CDP over a pipe: no debugging port to collide with concurrent runs
      args: [...CHROMIUM_ARGS, `--user-data-dir=${userDataDir}`, ...(options.args ?? [])],
      timeout: options.timeout ?? 60_000,
      protocolTimeout: 30 * 60_000, // one evaluate() may run a whole test suite on SwiftShader
    });
  } catch (e) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw e;
  }
  const proc = browser.process();
  // If Node exits without close() (a crash, Ctrl-C), don't leave Chromium behind.
  const killOnExit = () => proc?.kill('SIGKILL');
  process.once('exit', killOnExit);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    process.off('exit', killOnExit);
    const timer = setTimeout(() => proc?.kill('SIGKILL'), 10_000);
    try {
      await browser.close();
    } catch {
      proc?.kill('SIGKILL');
    } finally {
      clearTimeout(timer);
      rmSync(userDataDir, { recursive: true, force: true });
    }
  };
  return { browser, close };
}
