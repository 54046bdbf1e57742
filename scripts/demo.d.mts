import type { Served } from './serve.mjs';
export declare function startDemo(options?: {
  port?: number;
  assets?: string;
  emotion?: string | null;
}): Promise<Served>;
