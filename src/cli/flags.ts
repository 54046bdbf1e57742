/**
 * `--name value` flags of the `pathlight` commands, parsed strictly (a typo, an empty value or a
 * number like `0x10` is an error, never silently something else), and what the commands share.
 */
import { existsSync } from 'node:fs';
import { fail, PathlightError } from '../errors.js';
import { isZooName, ZOO_NAMES, zooEntry } from '../models/zoo.js';
import { methodNames } from '../attribution/index.js';
import type { DatasetName } from '../data/classes.js';
import { checkInputFile } from './paths.js';
import { decimalInt } from './numbers.js';
import { REPEAT_SEPARATOR } from './key-values.js';

export type Flags = Map<string, string>;

/** Flags that take no value. */
const SWITCHES = new Set(['json', 'help', 'debug', 'allow-outside', 'quiet', 'record']);

/** Flags that may be given more than once: their values are joined by REPEAT_SEPARATOR (key-values.ts). */
const REPEATABLE = new Set(['method-option', 'preprocess', 'layer']);

/** Flags every command accepts (besides its own). */
export const COMMON_FLAGS = ['debug', 'help'] as const;

export function parseFlags(argv: readonly string[]): Flags {
  const flags: Flags = new Map();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--') || a === '--')
      throw new PathlightError(`unexpected argument '${a}' (flags are --name value; pathlight --help for usage)`);
    const name = a.slice(2);
    if (flags.has(name) && !REPEATABLE.has(name)) throw new PathlightError(`--${name} is given twice`);
    if (SWITCHES.has(name)) {
      flags.set(name, 'true');
      continue;
    }
    const v = argv[++i];
    // a value that is itself a flag means the value was left out (`--out --json`)
    if (v === undefined || v.startsWith('--')) throw new PathlightError(`--${name} needs a value`);
    if (v.trim() === '') throw new PathlightError(`--${name} needs a value, got an empty one`);
    flags.set(name, flags.has(name) ? `${flags.get(name)}${REPEAT_SEPARATOR}${v}` : v);
  }
  return flags;
}

/** Reject flags a command does not know (a typo must not be ignored silently). */
export function checkKnownFlags(flags: Flags, known: readonly string[], command: string): void {
  const all = [...known, ...COMMON_FLAGS];
  for (const k of flags.keys())
    if (!all.includes(k))
      throw new PathlightError(`${command}: unknown flag --${k} (known: ${all.map((f) => `--${f}`).join(' ')})`);
}

/** A positive integer flag, or `fallback` when absent. */
export function intFlag(flags: Flags, name: string, fallback: number): number;
export function intFlag(flags: Flags, name: string, fallback?: number): number | undefined;
export function intFlag(flags: Flags, name: string, fallback?: number): number | undefined {
  const text = flags.get(name);
  if (text === undefined) return fallback;
  const v = decimalInt(text);
  if (v === undefined || v < 1) throw new PathlightError(`--${name} needs a positive decimal integer, got '${text}'`);
  return v;
}

/** Flags of a model file (ONNX, TF.js): the load-time limit and the input's free sizes. */
export const MODEL_FILE_FLAGS = ['allow-outside', 'max-model-bytes', 'input-shape'];

/** --allow-outside, --max-model-bytes N and --input-shape C,H,W (sizes after the batch axis), as loadModel's options. */
export function modelFileFlags(flags: Flags): { allowOutside: boolean; maxModelBytes?: number; inputShape?: number[] } {
  const text = flags.get('input-shape');
  const inputShape = text?.split(',').map((d) => decimalInt(d.trim()) ?? 0);
  if (text !== undefined && inputShape!.some((d) => d < 1))
    throw new PathlightError(
      `--input-shape needs the input's sizes after N as positive decimal integers, e.g. 3,48,192; got '${text}'`,
    );
  return { allowOutside: flags.has('allow-outside'), maxModelBytes: intFlag(flags, 'max-model-bytes'), inputShape };
}

/** One flag's value out of a fixed set, or `fallback` when absent. */
export function choiceFlag<T extends string>(flags: Flags, name: string, choices: readonly T[], fallback: T): T;
export function choiceFlag<T extends string>(flags: Flags, name: string, choices: readonly T[]): T | undefined;
export function choiceFlag<T extends string>(
  flags: Flags,
  name: string,
  choices: readonly T[],
  fallback?: T,
): T | undefined {
  const v = flags.get(name);
  if (v === undefined) return fallback;
  if (!(choices as readonly string[]).includes(v))
    throw new PathlightError(`--${name} must be ${choices.join(', ')}; got '${v}'`);
  return v as T;
}

/** A --method value: a registered method, smoothgrad, or smoothgrad:<method>. */
export function checkMethodName(method: string, command: string): void {
  const known = methodNames();
  const inner = method.startsWith('smoothgrad:') ? method.slice('smoothgrad:'.length) : null;
  if (!known.includes(method) && method !== 'smoothgrad' && !(inner !== null && known.includes(inner))) {
    throw new PathlightError(
      `${command}: --method: unknown method '${method}' (use ${[...known, 'smoothgrad'].join(', ')}, smoothgrad:<method>)`,
    );
  }
}

export function datasetOf(flags: Flags): DatasetName | undefined {
  const d = choiceFlag(flags, 'dataset', ['mnist', 'fashion-mnist'] as const);
  if (d) return d;
  const m = flags.get('model') ?? '';
  return isZooName(m) ? zooEntry(m).dataset : undefined;
}

/** A --model value: a zoo name, or a model file that exists (checked before the engine is made). */
export function checkModelFlag(spec: string): void {
  if (isZooName(spec)) return;
  if (!existsSync(spec))
    fail(`--model: ${spec} is not a zoo model (${ZOO_NAMES.join(', ')}) and ${spec} does not exist`);
  checkInputFile(spec, '--model');
}
