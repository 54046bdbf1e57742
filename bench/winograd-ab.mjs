#!/usr/bin/env node
/**
 * Winograd F(2×2, 3×3) against the direct conv kernel, per conv shape, in one Node process
 * (bench/winograd-ab.ts):
 *   node bench/winograd-ab.mjs [--n 64] [--reps 5] [--only 16->16] [--directions forward]
 * Writes out/winograd-ab.json.
 */
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { nodeOptions, ROOT } from '../esbuild.config.mjs';

const outfile = `${ROOT}/.tmp/winograd-ab.mjs`;
await esbuild.build({ ...nodeOptions, entryPoints: [`${ROOT}/bench/winograd-ab.ts`], outfile });
execFileSync(process.execPath, [outfile, ...process.argv.slice(2)], { stdio: 'inherit', cwd: ROOT });
