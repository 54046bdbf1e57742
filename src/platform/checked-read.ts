/**
 * The one way Node reads a model's files. Only a regular file is read (stat'd before opening, and
 * opened non-blocking, so a FIFO or device can neither block the process nor tie up libuv's
 * pool), and a file a model names (a TF.js shard, ONNX external data) only from inside the model
 * file's folder: a relative path without '..', whose realpath lies inside the folder's realpath.
 * `allowOutside` lets symlinks leave the folder (hub caches link snapshots/ to blobs/); it never
 * admits an absolute or '..' name, nor a file that is not regular. Every error names the file.
 */
import { constants, type Stats } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep, win32 } from 'node:path';
import { fail } from '../errors.js';
import type { NamedByModel } from './platform.js';

/** `path`'s bytes; with `namedBy`, `path` is a name the model gives, resolved in the model file's folder. */
export async function readCheckedFile(path: string, what: string, namedBy?: NamedByModel): Promise<Uint8Array> {
  const file = namedBy ? fileBesideModel(path, namedBy.model, what) : path;
  const real = await realpathOf(file, what);
  if (namedBy && !namedBy.allowOutside) {
    const folder = await realpathOf(dirname(namedBy.model), what);
    if (!isInside(folder, real))
      fail(
        `${what}: ${file} resolves to ${real}, outside the model's folder ${folder} (allowOutside / --allow-outside follows links out of it)`,
      );
  }
  checkRegular(await stat(real).catch((e: unknown) => fileError(e, file, what)), file, what);
  // O_NONBLOCK: should a FIFO replace the file after the stat, opening it still returns at once
  // (and the fstat below refuses it); O_NOFOLLOW: nor may a link replace the last component
  const flags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0);
  const handle = await open(real, flags).catch((e: unknown) => fileError(e, file, what));
  try {
    checkRegular(await handle.stat(), file, what);
    return new Uint8Array(await handle.readFile());
  } catch (e) {
    return fileError(e, file, what);
  } finally {
    await handle.close();
  }
}

/** The model's name for a file, as a path in the model file's folder: relative, no '..' segment. */
function fileBesideModel(name: string, model: string, what: string): string {
  const folder = dirname(model);
  if (
    name === '' ||
    isAbsolute(name) ||
    win32.isAbsolute(name) ||
    /^[a-zA-Z]:/.test(name) ||
    name.split(/[\\/]/).includes('..')
  ) {
    fail(`${what}: ${JSON.stringify(name)} is not a relative path inside the model's folder ${resolve(folder)}`);
  }
  return join(folder, name);
}

async function realpathOf(path: string, what: string): Promise<string> {
  return realpath(path).catch((e: unknown) => fileError(e, path, what));
}

/** `real` is `folder` or below it (both realpaths). */
function isInside(folder: string, real: string): boolean {
  const r = relative(folder, real);
  return !isAbsolute(r) && r.split(sep)[0] !== '..';
}

function checkRegular(st: Stats, file: string, what: string): void {
  if (st.isDirectory()) fail(`${what}: ${file} is a directory, not a file`);
  if (!st.isFile()) fail(`${what}: ${file} is not a regular file (a FIFO, socket or device is never read)`);
}

/** A node:fs error as one line naming the file (the bare 'EISDIR: illegal operation on a directory, read' names none). */
function fileError(e: unknown, file: string, what: string): never {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined) throw e; // already ours (a PathlightError) or not an fs error
  if (code === 'ENOENT' || code === 'ENOTDIR') fail(`${what}: file ${file} does not exist`);
  if (code === 'EISDIR') fail(`${what}: ${file} is a directory, not a file`);
  if (code === 'ELOOP') fail(`${what}: ${file} is a symlink loop (or was replaced by a link while being read)`);
  fail(`${what}: cannot read ${file} (${code})`);
}
