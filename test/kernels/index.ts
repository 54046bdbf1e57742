/** Every kernel case file; the Node runner and the browser bundle both import this list. */
import type { Case } from '../harness/cases.js';
import elementwise from './elementwise.cases.js';
import runtime from './runtime.cases.js';

export const cases: Case[] = [...runtime, ...elementwise];
