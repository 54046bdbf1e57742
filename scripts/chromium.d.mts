import type { Browser } from 'puppeteer-core';
export declare const CHROMIUM_PATH: string;
export declare const CHROMIUM_ARGS: string[];
export declare function checkChromium(path?: string): void;
export declare function launchChromium(options?: {
  args?: string[];
  timeout?: number;
}): Promise<{ browser: Browser; close: () => Promise<void> }>;
