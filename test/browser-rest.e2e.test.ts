/**
 * The kernel cases in headless Chromium that test/browser.test.ts leaves out (all but the first of
 * each suite): with it, every case runs in the browser.
 */
import { allBut, firstOfEachSuite, runCasesInChromium } from './harness/chromium-cases.js';

runCasesInChromium(allBut(firstOfEachSuite()));
