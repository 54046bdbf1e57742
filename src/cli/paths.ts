/**
 * The files a command names, checked before any GPU work: inputs must be readable regular files,
 * outputs must be writable where they point (so a bad --out fails in milliseconds, not after the
 * whole computation).
 */
import { accessSync, constants, existsSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fail } from '../errors.js';

/** stat without throwing: undefined for a missing path (or one under a file: ENOTDIR). */
function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** `path` (given with `flag`) is an existing, readable regular file (not a directory, not /dev/zero). */
export function checkInputFile(path: string, flag: string): void {
  const st = statOrUndefined(path);
  if (!st) fail(`${flag}: ${path} does not exist`);
  if (st.isDirectory()) fail(`${flag}: ${path} is a directory, not a file`);
  if (!st.isFile()) fail(`${flag}: ${path} is not a regular file`);
  try {
    accessSync(path, constants.R_OK);
  } catch {
    fail(`${flag}: ${path} is not readable`);
  }
}

/**
 * `path` can be written as an output file: its extension is one of `extensions` (lower case, with
 * the dot), it is not a directory or a special file, and the nearest existing folder above it is a
 * directory in which a file can be created (tried with a probe file, removed at once; missing
 * folders below it are created when the output is written).
 */
export function checkOutputPath(path: string, flag: string, extensions: readonly string[]): void {
  const st = statOrUndefined(path);
  if (st?.isDirectory()) fail(`${flag} ${path}: is a directory, not a file name`);
  if (!extensions.includes(extname(path).toLowerCase()))
    fail(`${flag} ${path}: use a ${extensions.join(' or ')} file name`);
  if (st && !st.isFile()) fail(`${flag} ${path}: exists and is not a regular file`);
  let dir = dirname(resolve(path));
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  if (!statOrUndefined(dir)?.isDirectory()) fail(`${flag} ${path}: ${dir} is not a directory`);
  const probe = join(dir, `.pathlight-probe-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    writeFileSync(probe, '', { flag: 'wx' });
  } catch (e) {
    fail(`${flag} ${path}: cannot create files in ${dir} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  unlinkSync(probe);
}
