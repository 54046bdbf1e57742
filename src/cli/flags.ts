/** `--name value` flags of the `pathlight` commands, and what they share (the dataset of a model). */
import { PathlightError } from '../gpu/errors.js';
import { isZooName, zooEntry } from '../models/zoo.js';
import type { DatasetName } from '../data/classes.js';

export type Flags = Map<string, string>;

/** Flags that take no value. */
const SWITCHES = new Set(['json', 'help']);

export function parseFlags(argv: readonly string[], usage: string): Flags {
  const flags: Flags = new Map();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new PathlightError(`unexpected argument '${a}'\n${usage}`);
    const name = a.slice(2);
    if (SWITCHES.has(name)) flags.set(name, 'true');
    else {
      const v = argv[++i];
      if (v === undefined) throw new PathlightError(`--${name} needs a value`);
      flags.set(name, v);
    }
  }
  return flags;
}

/** Reject flags a command does not know (a typo must not be ignored silently). */
export function checkKnownFlags(flags: Flags, known: readonly string[], command: string): void {
  for (const k of flags.keys()) if (!known.includes(k)) throw new PathlightError(`${command}: unknown flag --${k} (known: ${known.map((f) => `--${f}`).join(' ')})`);
}

/** A positive integer flag, or `fallback` when absent. */
export function intFlag(flags: Flags, name: string, fallback: number): number {
  if (!flags.has(name)) return fallback;
  const v = Number(flags.get(name));
  if (!Number.isInteger(v) || v < 1) throw new PathlightError(`--${name} needs a positive integer, got '${flags.get(name)}'`);
  return v;
}

export function datasetOf(flags: Flags): DatasetName | undefined {
  const d = flags.get('dataset');
  if (d !== undefined && d !== 'mnist' && d !== 'fashion-mnist') throw new PathlightError(`--dataset must be mnist or fashion-mnist, got '${d}'`);
  if (d) return d;
  const m = flags.get('model') ?? '';
  return isZooName(m) ? zooEntry(m).dataset : undefined;
}
