#!/usr/bin/env node
/** Builds bench/conv-shapes.ts for Node and runs it with this command's arguments. */
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { nodeOptions, ROOT } from '../esbuild.config.mjs';

const outfile = `${ROOT}/.tmp/conv-shapes.mjs`;
await esbuild.build({ ...nodeOptions, entryPoints: [`${ROOT}/bench/conv-shapes.ts`], outfile });
execFileSync(process.execPath, [outfile, ...process.argv.slice(2)], { stdio: 'inherit', cwd: ROOT });
