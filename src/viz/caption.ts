/**
 * The words under a figure's title, from an explanation: which class, how many steps, and the
 * completeness check that applies to the method (one line, shared by the CLI and the demo).
 */
import type { Explanation } from '../attribution/explain.js';
import type { FigureCaption } from './figure.js';

/**
 * The check that applies to image `i`'s attribution, as one line. Built from what `Explanation`
 * reports today (`complete` and `completenessError`); the only place that words it.
 */
export function checkText(e: Explanation, i: number): string {
  const im = e.images[i]!;
  if (!e.complete) return 'completeness not promised by this method';
  return `complete: gap ${(100 * im.completenessError).toFixed(3)} % to f(x) − f(start) = ${(im.fx - im.fStart).toPrecision(4)}`;
}

/** The caption of image `i`'s figure. */
export function figureCaption(e: Explanation, i: number, model: string, classNames?: readonly string[]): FigureCaption {
  const target = e.images[i]!.target;
  return { model, method: e.method, target, className: classNames?.[target], steps: e.steps, check: checkText(e, i) };
}
