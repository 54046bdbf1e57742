export interface ZooEntry {
  file: string;
  record: Record<string, string>;
  runs: Record<string, string>[];
  commands: string[];
  seeds: string[];
  parameters: number;
  epochs: number;
  seen: number;
  seconds: number;
  schedule: string;
  optimizer: string;
  machine: string;
}
export declare const EARLIER_COMMANDS: Record<string, string[]>;
export declare function readHeader(bytes: Uint8Array): {
  tensors: Record<string, { shape: number[] }>;
  metadata: Record<string, string>;
};
export declare function trainableParameters(tensors: Record<string, { shape: number[] }>): number;
export declare function zooEntry(file: string, bytes: Uint8Array): ZooEntry;
export declare function zooEntries(folder: string): ZooEntry[];
export declare function modelsTable(entries?: ZooEntry[]): string;
export declare function twinsTable(entries?: ZooEntry[]): string;
export declare function commands(entries: ZooEntry[]): string;
