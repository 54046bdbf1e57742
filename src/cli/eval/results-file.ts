/**
 * The JSON that `pathlight eval` writes (docs/eval.md): the settings, the evaluated indices and
 * labels, per method the per-image values (and their means), the intervals and paired tests computed
 * from them, and — apart, since they are not reproducible — the timings. A shard's file and a merge
 * of shards have the same shape; `mergeResults` refuses shards that do not add up to one run.
 */
import { PathlightError } from '../../errors.js';
import { summariseImages, type MethodEvaluation, type PerImageValues } from '../../metrics/evaluate-methods.js';
import { summariseEvaluation, type EvaluationSummary } from '../../metrics/eval-summary.js';
import type { Split } from '../../data/datasets.js';
import type { DatasetName } from '../../data/classes.js';
import type { ReferencePoolSpec } from './reference-pool.js';
import type { IndexRange, Shard } from './slices.js';

export const EVAL_FORMAT = 'pathlight-eval/1';

/** Everything a value depends on: shards merge only when these are equal. */
export interface EvalSettings {
  model: string;
  modelName: string;
  dataset: DatasetName;
  split: Split;
  /** the whole evaluated range (a shard scores a slice of it) */
  range: IndexRange;
  methods: string[];
  steps: number;
  baseline: 'black' | 'white' | 'uniform' | 'blur';
  /** IG2: references picked per image from the pool */
  references: number;
  referencePool: ReferencePoolSpec | null;
  metrics: string[];
  seed: number;
  bootstrap: { resamples: number; level: number };
  /** the engine's kernel tuning choice ('default' when the engine exposes none) */
  tuning: string;
}

/** A method's row in the file: means, per-image values and gradient evaluations (not its timing). */
export type MethodRow = Omit<MethodEvaluation, 'msPerImage'>;

export interface EvalResults {
  format: typeof EVAL_FORMAT;
  settings: EvalSettings;
  /** this file's slice (null: a whole run, or a merge) */
  shard: Shard | null;
  indices: number[];
  labels: number[];
  methods: MethodRow[];
  summary: EvaluationSummary;
  /** not reproducible, so apart: seconds and ms / image per file merged (one entry per shard) */
  timing: { adapter: string; images: number; seconds: number; msPerImage: Record<string, number> }[];
}

export function buildResults(
  settings: EvalSettings,
  shard: Shard | null,
  indices: number[],
  labels: number[],
  rows: readonly MethodEvaluation[],
  timing: EvalResults['timing'],
): EvalResults {
  const methods = rows.map(({ msPerImage: _ms, ...row }) => row);
  return {
    format: EVAL_FORMAT,
    settings,
    shard,
    indices,
    labels,
    methods,
    summary: summariseEvaluation(methods, { seed: settings.seed, ...settings.bootstrap }),
    timing,
  };
}

function concatPerImage(parts: readonly PerImageValues[]): PerImageValues {
  const cat = <T>(pick: (p: PerImageValues) => T[] | null | undefined) => parts.flatMap((p) => pick(p) ?? []);
  const quantusKeys = Object.keys(parts[0]!.quantus ?? {});
  return {
    insertionAuc: cat((p) => p.insertionAuc),
    deletionAuc: cat((p) => p.deletionAuc),
    sicAuc: cat((p) => p.sicAuc),
    aicAuc: cat((p) => p.aicAuc),
    gini: cat((p) => p.gini),
    completenessError: parts[0]!.completenessError ? cat((p) => p.completenessError) : null,
    ...(parts[0]!.quantus && {
      quantus: Object.fromEntries(quantusKeys.map((k) => [k, cat((p) => p.quantus?.[k])])),
    }),
  };
}

/** Checks a parsed file's shape enough to merge it; `name` names it in errors. */
export function checkResults(value: unknown, name: string): EvalResults {
  const r = value as Partial<EvalResults> | null;
  if (!r || typeof r !== 'object' || r.format !== EVAL_FORMAT)
    throw new PathlightError(`eval --merge: ${name} is not a pathlight eval result (format ${EVAL_FORMAT})`);
  if (!r.settings || !Array.isArray(r.indices) || !Array.isArray(r.methods) || !Array.isArray(r.labels))
    throw new PathlightError(`eval --merge: ${name} lacks settings, indices, labels or methods`);
  if (r.methods.some((m) => m.perImage?.insertionAuc?.length !== r.indices!.length))
    throw new PathlightError(`eval --merge: ${name}'s per-image values do not match its ${r.indices.length} indices`);
  return r as EvalResults;
}

/** Shards (any order) → the result of one run over their settings' range; refuses what does not add up. */
export function mergeResults(files: readonly { name: string; results: EvalResults }[]): EvalResults {
  if (files.length === 0) throw new PathlightError('eval --merge: no files given');
  const first = files[0]!;
  const settings = JSON.stringify(first.results.settings);
  for (const f of files.slice(1))
    if (JSON.stringify(f.results.settings) !== settings)
      throw new PathlightError(
        `eval --merge: ${f.name} has different settings from ${first.name} (${differingKeys(first.results.settings, f.results.settings)})`,
      );
  const sorted = [...files].sort((a, b) => (a.results.indices[0] ?? 0) - (b.results.indices[0] ?? 0));
  const indices = sorted.flatMap((f) => f.results.indices);
  const { start, end } = first.results.settings.range;
  const seen = new Set<number>();
  for (const i of indices) {
    if (seen.has(i)) throw new PathlightError(`eval --merge: index ${i} is in more than one shard`);
    if (i < start || i >= end)
      throw new PathlightError(`eval --merge: index ${i} is outside the range ${start}:${end}`);
    seen.add(i);
  }
  if (seen.size !== end - start) {
    const missing = Array.from({ length: end - start }, (_, i) => start + i).find((i) => !seen.has(i));
    throw new PathlightError(
      `eval --merge: index ${missing} of ${start}:${end} is in no shard (${end - start - seen.size} missing)`,
    );
  }
  if (indices.some((v, i) => i > 0 && v < indices[i - 1]!))
    throw new PathlightError('eval --merge: a shard interleaves with another (its indices are not one slice)');
  const rows: MethodEvaluation[] = first.results.settings.methods.map((method, m) => {
    const parts = sorted.map((f) => f.results.methods[m]!);
    if (parts.some((p) => p.method !== method))
      throw new PathlightError(`eval --merge: a file's method ${m + 1} is not ${method}`);
    return {
      ...summariseImages(method, parts[0]!.steps, concatPerImage(parts.map((p) => p.perImage))),
      gradientEvaluations: parts.reduce((s, p) => s + p.gradientEvaluations, 0),
      msPerImage: 0,
    };
  });
  return buildResults(
    first.results.settings,
    null,
    indices,
    sorted.flatMap((f) => f.results.labels),
    rows,
    sorted.flatMap((f) => f.results.timing ?? []),
  );
}

function differingKeys(a: EvalSettings, b: EvalSettings): string {
  const keys = Object.keys({ ...a, ...b }) as (keyof EvalSettings)[];
  return keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).join(', ');
}
