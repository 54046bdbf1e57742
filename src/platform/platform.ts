/**
 * The platform seam: everything that differs between Node and a browser (or Web Worker). Code
 * imports it as `#platform`; package.json's `imports` resolves that to ./node.ts or ./browser.ts by
 * export condition, so a browser bundle never sees a `node:` module or Dawn. Both sides implement
 * this interface (checked in implements.ts, types only, so that no import runs back here).
 */
export interface Platform {
  /** A WebGPU adapter: Dawn (npm `webgpu`) in Node, `navigator.gpu` in a browser or worker. */
  requestAdapter(powerPreference?: GPUPowerPreference): Promise<{ adapter: GPUAdapter; source: string }>;
  /** Whether a pending GPU promise keeps the host thread polling (Dawn in Node): src/gpu/pacer.ts then waits before asking. */
  readonly gpuWaitsPoll: boolean;
  /**
   * A regular file's bytes (Node; checked-read.ts), never blocking on a FIFO or device; a browser
   * refuses with a message that asks for bytes or a URL. With `namedBy`, `path` is a file the
   * model names, read only from inside the model file's folder.
   */
  readFileBytes(path: string, what: string, namedBy?: NamedByModel): Promise<Uint8Array>;
  /** A URL's bytes: http(s) anywhere, file: in Node; relative URLs resolve against the page (browser). */
  readUrl(url: string | URL, what: string): Promise<Uint8Array>;
  /**
   * A file of the package's assets folder (e.g. `models/lenet-mnist.safetensors`): from
   * `assetsUrl` when given, else the package's own assets/ in Node and `assets/` beside the page
   * (or worker script) in a browser.
   */
  readAsset(relativePath: string, what: string, assetsUrl?: string | URL): Promise<Uint8Array>;
  /** Replace a file's text whole (Node: written beside it, then renamed over it); a browser refuses. */
  writeFileText(path: string, text: string, what: string): Promise<void>;
}

/** Who names a file: the model file (its folder bounds the file) and whether symlinks may leave that folder. */
export interface NamedByModel {
  model: string;
  allowOutside?: boolean;
}
