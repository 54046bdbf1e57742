#!/usr/bin/env node
/**
 * `node bench/replay.mjs [--models lenet,resnet] [--methods ig,gig] [--steps 64] [--reps 3] [--runtimes node,chrome] [--tag name] [--record]`:
 * warm explain() with record-and-replay on and off, interleaved (bench/replay.ts), in Node (Dawn)
 * and headless Chromium, JSON to stdout and to out/results/replay-<runtime>[-<tag>].json (bench/results/ with --record).
 */
import { runInNodeAndChrome } from './node-and-chrome.mjs';

console.log(JSON.stringify(await runInNodeAndChrome('replay', 'runReplayBench')));
