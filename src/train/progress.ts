/**
 * The training progress report and its one line (written by src/cli/progress.ts's progressWriter:
 * rewritten in place on a terminal, one line per report in a log).
 */
export interface ProgressReport {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  /** mean loss over the steps since the previous report */
  loss: number;
  /** training accuracy over the same steps, in [0, 1] */
  accuracy: number;
  imagesPerSecond: number;
}

export function formatProgress(r: ProgressReport): string {
  return (
    `epoch ${r.epoch + 1}/${r.epochs}  step ${r.step}/${r.steps}  loss ${r.loss.toFixed(4)}  ` +
    `acc ${(100 * r.accuracy).toFixed(2)}%  ${r.imagesPerSecond.toFixed(0)} img/s`
  );
}

/** The end-of-run line for a model's accuracy on its own training images (a random-label twin's figure of merit). */
export function formatTrainAccuracy(
  r: { accuracy: number; correct: number; count: number },
  permuted: boolean,
): string {
  return `training accuracy ${(100 * r.accuracy).toFixed(2)}% (${r.correct}/${r.count} of its ${permuted ? 'permuted ' : ''}training images, eval mode)`;
}
