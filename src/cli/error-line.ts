/**
 * What the `pathlight` command prints for an error that reaches `main`: exactly one line,
 * `pathlight: …` (multi-line messages, e.g. GPU validation errors, are joined), or the whole
 * stack with --debug. File-system errors name their path when Node gives it.
 */
import { PathlightError } from '../errors.js';

function oneLine(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' | ');
}

export function errorLine(e: unknown, debug: boolean): string {
  if (debug) return e instanceof Error && e.stack ? `pathlight: ${e.stack}` : `pathlight: ${String(e)}`;
  if (e instanceof PathlightError) return `pathlight: ${oneLine(e.message)}`;
  const sys = e as NodeJS.ErrnoException | undefined;
  if (sys && typeof sys.code === 'string' && typeof sys.syscall === 'string') {
    // e.g. "EISDIR: illegal operation on a directory, read" (no path) or "ENOENT: …, open 'x'"
    const what = oneLine(sys.message);
    return `pathlight: ${sys.path && !what.includes(sys.path) ? `${sys.path}: ` : ''}${what}`;
  }
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return `pathlight: internal error: ${oneLine(what)} (--debug shows the stack)`;
}
