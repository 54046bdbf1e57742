/**
 * Write a command's output files atomically: each goes to a temporary file in its own folder, and
 * only when all of them are written are they renamed into place, so a failure (disk full, a
 * folder that vanished) leaves neither a partial file nor half of the outputs behind.
 */
import { mkdirSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { fail } from '../errors.js';

export interface OutputFile {
  path: string;
  data: Uint8Array | string;
}

/** Remove the folders made for the outputs (deepest first, only while empty), up to `created`. */
function removeMadeFolders(dir: string, created: string | undefined): void {
  if (!created) return;
  const top = resolve(created);
  for (let d = dir; d === top || d.startsWith(top + sep); d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return;
    }
  }
}

export function writeFilesAtomically(files: readonly OutputFile[]): void {
  const staged: { temp: string; path: string }[] = [];
  const made: { dir: string; created: string | undefined }[] = [];
  let current = '';
  try {
    for (const f of files) {
      current = f.path;
      const dir = resolve(dirname(f.path));
      made.push({ dir, created: mkdirSync(dir, { recursive: true }) });
      const temp = join(dir, `.${basename(f.path)}.${process.pid}-${Math.random().toString(36).slice(2)}.tmp`);
      writeFileSync(temp, f.data, { flag: 'wx' });
      staged.push({ temp, path: f.path });
    }
    // renames within one folder are atomic; one failing after another succeeded is not undone
    for (const s of staged) {
      current = s.path;
      renameSync(s.temp, s.path);
    }
  } catch (e) {
    for (const s of staged) rmSync(s.temp, { force: true });
    for (const m of made.reverse()) removeMadeFolders(m.dir, m.created);
    fail(`cannot write ${current}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
