import type { Server } from 'node:http';
export interface Served {
  url: string;
  port: number;
  server: Server;
  close: () => Promise<void>;
}
export declare function serve(options?: {
  root?: string;
  files?: Record<string, string | Uint8Array>;
  port?: number;
  quiet?: boolean;
}): Promise<Served>;
