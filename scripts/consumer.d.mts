export interface PackReport {
  filename: string;
  tarball: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: string[];
}
export declare function packPackage(dest: string): PackReport;
export declare function createConsumer(tarball: string, options?: { webgpu?: boolean }): string;
export declare function bundleEntry(
  dir: string,
  entry: string,
  options?: { minify?: boolean },
): Promise<{ js: string; bytes: number; gzipBytes: number }>;
export declare const SIZE_ENTRIES: Record<string, { from: string; imports: string[]; onnx?: boolean }>;
export declare function writeSizeEntries(dir: string): [label: string, file: string][];
