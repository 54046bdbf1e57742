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
  /** URL prefix ('/name/') → folder */
  mounts?: Record<string, string>;
  /** COOP/COEP headers: a cross-origin-isolated page */
  isolated?: boolean;
  port?: number;
  quiet?: boolean;
}): Promise<Served>;
