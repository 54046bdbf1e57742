/**
 * The words under a figure's title, from an explanation: which class, how many steps, and the
 * completeness check that applies to the method (one line, shared by the CLI and the demo).
 */
import { describeCheck, type Explanation } from '../attribution/explain.js';
import type { FigureCaption } from './figure.js';

/** The caption of image `i`'s figure. */
export function figureCaption(e: Explanation, i: number, model: string, classNames?: readonly string[]): FigureCaption {
  const target = e.images[i]!.target;
  return {
    model,
    method: e.method,
    target,
    className: classNames?.[target],
    steps: e.steps,
    check: describeCheck(e, e.images[i]!),
  };
}
