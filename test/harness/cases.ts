/**
 * Kernel test cases that run unchanged in Node (vitest) and in headless Chromium (the browser
 * runner bundles the same files). A case gets a live Engine and throws on failure.
 */
import type { Engine } from '../../src/gpu/engine.js';

export interface Case {
  suite: string;
  name: string;
  run: (engine: Engine) => Promise<void>;
}

export type CaseFn = (engine: Engine) => Promise<void>;

export function defineCases(suite: string, define: (test: (name: string, fn: CaseFn) => void) => void): Case[] {
  const cases: Case[] = [];
  define((name, run) => cases.push({ suite, name, run }));
  return cases;
}

export function caseTitle(c: Case): string {
  return `${c.suite}: ${c.name}`;
}
