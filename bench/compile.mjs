#!/usr/bin/env node
/**
 * `node bench/compile.mjs [--models lenet,resnet] [--steps 64] [--reps 3] [--runtimes node,chrome] [--tag name] [--record]`:
 * cold / warm IG and per-pipeline compile times (bench/compile.ts) in Node (Dawn) and headless
 * Chromium, JSON to stdout and to out/results/compile-<runtime>[-<tag>].json (bench/results/ with
 * --record).
 */
import { runInNodeAndChrome } from './node-and-chrome.mjs';

console.log(JSON.stringify(await runInNodeAndChrome('compile', 'runCompileBench')));
