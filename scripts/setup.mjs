/**
 * Make sure this machine can run WebGPU without a GPU: Debian's chromium (headless browser tests,
 * and its SwiftShader Vulkan ICD, which Node's Dawn uses too) and the Vulkan loader libvulkan1.
 * Idempotent and fast when all is present. As root with apt-get it installs what is missing;
 * otherwise it says what to install and exits 1.
 *
 *   node scripts/setup.mjs [--with-data]   (--with-data: also Debian's dataset-fashion-mnist, for training)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const withData = process.argv.includes('--with-data');

/** What is missing, each with the Debian package that provides it. */
function check() {
  const missing = [];
  const need = (ok, what, pkg) => ok || missing.push({ what, pkg });
  need(existsSync('/usr/bin/chromium'), '/usr/bin/chromium', 'chromium');
  need(
    existsSync('/usr/lib/chromium/vk_swiftshader_icd.json'),
    'SwiftShader ICD /usr/lib/chromium/vk_swiftshader_icd.json',
    'chromium',
  );
  need(hasLibVulkan(), 'libvulkan.so.1', 'libvulkan1');
  if (withData)
    need(
      existsSync('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz'),
      'Fashion-MNIST in /usr/share/datasets/fashion-mnist',
      'dataset-fashion-mnist',
    );
  return missing;
}

function hasLibVulkan() {
  const r = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' });
  if (r.status === 0) return /\blibvulkan\.so\.1\b/.test(r.stdout);
  // no ldconfig on PATH (e.g. a non-root PATH without /sbin): look in the usual places
  return [
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/lib/x86_64-linux-gnu',
  ].some((d) => existsSync(`${d}/libvulkan.so.1`));
}

function hasApt() {
  return spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
}

const missing = check();
if (missing.length === 0) process.exit(0);

const pkgs = [...new Set(missing.map((m) => m.pkg))];
const list = missing.map((m) => `  - ${m.what} (Debian package ${m.pkg})`).join('\n');
const isRoot = process.getuid?.() === 0;

if (!isRoot || !hasApt()) {
  console.error(
    `pathlight setup: WebGPU without a GPU needs:\n${list}\n` +
      (hasApt()
        ? `Install them as root:\n  sudo apt-get install -y ${pkgs.join(' ')}\n`
        : `Install the equivalent packages for this system (Debian names: ${pkgs.join(' ')}).\n`) +
      'then run `npm run setup` again.',
  );
  process.exit(1);
}

console.log(`pathlight setup: installing ${pkgs.join(' ')} (apt-get, about a minute)...`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
const apt = (args) =>
  execFileSync('apt-get', ['-qq', '-o', 'Dpkg::Use-Pty=0', ...args], { env, stdio: ['ignore', 'ignore', 'inherit'] });
try {
  apt(['update']);
  apt(['install', '-y', '--no-install-recommends', ...pkgs]);
} catch (e) {
  console.error(
    `pathlight setup: apt-get failed (${e.message.split('\n')[0]}); install manually: apt-get install -y ${pkgs.join(' ')}`,
  );
  process.exit(1);
}
const still = check();
if (still.length) {
  console.error(`pathlight setup: still missing after apt-get:\n${still.map((m) => `  - ${m.what}`).join('\n')}`);
  process.exit(1);
}
console.log('pathlight setup: done');
