/** GET a URL's bytes with errors a user can read (both platforms use it for http(s) URLs). */
import { fail } from '../errors.js';

export async function fetchBytes(url: URL, what: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    fail(`${what}: could not fetch ${url.href} (${(e as Error).message})`);
  }
  if (!response.ok) fail(`${what}: GET ${url.href} answered ${response.status} ${response.statusText}`.trimEnd());
  return new Uint8Array(await response.arrayBuffer());
}

/** `url` resolved against `base`, with a readable error for a malformed one. */
export function resolveUrl(url: string | URL, base: string | URL | undefined, what: string): URL {
  try {
    return new URL(url, base);
  } catch {
    fail(`${what}: '${String(url)}' is not a URL${base === undefined ? '' : ` relative to ${String(base)}`}`);
  }
}
