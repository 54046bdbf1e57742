/**
 * The training record `npm run train` writes into a weights file's safetensors metadata (all
 * values strings, as the format requires): what was trained on what, how (seed, optimizer,
 * schedule, epochs), how long, on which machine, and what it reached. A run continued with
 * `--init` carries the earlier file's record in `continued_from`, so the sittings accumulate.
 */
import { cpus, loadavg } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { fail } from '../errors.js';

/** How the training images were chosen and labelled (the random-label twins' settings). */
export interface TrainingData {
  dataset: string;
  /** `--subset N`: N images drawn by a seeded shuffle of the training split */
  subset?: number;
  subsetSeed?: number;
  /** `--permute-labels SEED`: the labels shuffled among the images */
  permuteLabels?: number;
}

/** The CPU (model × logical cores) and the 1-minute load average: the trainer shares the machine. */
export function cpuDescription(): string {
  const list = cpus();
  return `${list[0]?.model.trim() ?? 'unknown'} × ${list.length}`;
}

export function loadAverage(): string {
  return loadavg()[0]!.toFixed(2);
}

/** The data settings as record fields (absent settings are omitted, so older records still compare). */
export function dataFields(d: TrainingData): Record<string, string> {
  return {
    dataset: d.dataset,
    ...(d.subset !== undefined ? { subset: String(d.subset), subset_seed: String(d.subsetSeed ?? 1) } : {}),
    ...(d.permuteLabels !== undefined ? { permute_labels_seed: String(d.permuteLabels) } : {}),
  };
}

/**
 * A continuation must train the same model on the same images with the same labels: a twin
 * continued on other permuted labels would memorise neither. One-line error before GPU work.
 */
export function checkContinuation(previous: Record<string, string>, model: string, data: TrainingData): void {
  const mine: Record<string, string> = { model, ...dataFields(data) };
  for (const key of ['model', 'dataset', 'subset', 'subset_seed', 'permute_labels_seed']) {
    if (previous[key] === undefined && mine[key] === undefined) continue;
    if (previous[key] !== mine[key]) {
      fail(
        `--init was trained with ${key} ${previous[key] ?? '(none)'}, this run has ${mine[key] ?? '(none)'}: a continuation must use the same model and training data`,
      );
    }
  }
}

/** The sittings of a record, newest first (each `continued_from` parsed). */
export function sittings(record: Record<string, string>): Record<string, string>[] {
  const out = [record];
  for (let r = record; r.continued_from;) {
    try {
      r = JSON.parse(r.continued_from) as Record<string, string>;
    } catch {
      fail('the training record has a continued_from that is not JSON');
    }
    out.push(r);
  }
  return out;
}

/** The weights' default file name: `<model>-<dataset>[-random-labels].safetensors`. */
export function weightsFileName(model: string, data: TrainingData): string {
  return `${model}-${data.dataset}${data.permuteLabels !== undefined ? '-random-labels' : ''}.safetensors`;
}

/**
 * Where a run writes its weights: the ignored out/train/ by default; with `--record` the committed
 * assets/models/ (assets/twins/ for permuted labels, kept out of the npm package). An explicit
 * `--out` may not point into assets/ without `--record`, so no trial rewrites shipped weights.
 */
export function weightsPath(opts: { model: string; out?: string; record: boolean } & TrainingData): string {
  if (opts.out !== undefined) {
    const fromRoot = relative(process.cwd(), resolve(opts.out));
    if (!opts.record && (fromRoot === 'assets' || fromRoot.startsWith(`assets${sep}`)))
      fail(`--out ${opts.out} is a committed path: add --record to write it (trials go to out/)`);
    return opts.out;
  }
  const folder = opts.record ? (opts.permuteLabels !== undefined ? 'assets/twins' : 'assets/models') : 'out/train';
  return join(folder, weightsFileName(opts.model, opts));
}
