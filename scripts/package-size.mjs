#!/usr/bin/env node
/**
 * `node scripts/package-size.mjs`: the README's package and bundle sizes, measured. Packs the
 * repository, installs the tarball into a temporary project and bundles each entry of
 * SIZE_ENTRIES (scripts/consumer.mjs) with esbuild's defaults plus --minify; prints Markdown.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleEntry, createConsumer, packPackage, writeSizeEntries } from './consumer.mjs';

const kb = (n) => `${(n / 1000).toFixed(1)} kB`;
const dest = mkdtempSync(join(tmpdir(), 'pathlight-size-'));
let app;
try {
  const pack = packPackage(dest);
  console.log(`tarball ${kb(pack.size)}, unpacked ${kb(pack.unpackedSize)} (${pack.entryCount} files)\n`);
  app = createConsumer(pack.tarball);
  console.log('| consumer entry | minified | min + gzip | gzip vs core, ig |\n|---|---:|---:|---:|');
  let core;
  for (const [label, file] of writeSizeEntries(app)) {
    const b = await bundleEntry(app, file, { minify: true });
    core ??= b.gzipBytes;
    const delta = b.gzipBytes - core;
    console.log(
      `| ${label} | ${kb(b.bytes)} | ${kb(b.gzipBytes)} | ${delta === 0 ? '—' : `${delta > 0 ? '+' : ''}${kb(delta)}`} |`,
    );
  }
} finally {
  rmSync(dest, { recursive: true, force: true });
  if (app) rmSync(app, { recursive: true, force: true });
}
