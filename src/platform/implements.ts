/**
 * Both sides of the platform seam implement `Platform` (types only, checked by tsc). Kept apart from
 * platform.ts, which node.ts and browser.ts import, so that the check closes no import cycle.
 */
import type { Platform } from './platform.js';
import type * as NodePlatform from './node.js';
import type * as BrowserPlatform from './browser.js';

type Implements<T extends Platform> = T;
export type Checked = [Implements<typeof NodePlatform>, Implements<typeof BrowserPlatform>];
