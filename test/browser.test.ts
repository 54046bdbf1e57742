/**
 * The kernel cases in headless Chromium, one per suite (the first case of each kernel family), plus
 * the page's WebGPU adapter: every family compiles and runs in the browser in `npm test`. Node runs
 * every case (test/kernels.test.ts); the other cases run in Chromium in `npm run test:e2e`
 * (test/browser-rest.e2e.test.ts).
 */
import { firstOfEachSuite, runCasesInChromium } from './harness/chromium-cases.js';

runCasesInChromium(firstOfEachSuite(), { adapterTest: true });
