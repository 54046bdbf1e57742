/**
 * The one-line training progress: rewritten in place with `\r` on a terminal, plain lines
 * otherwise (logs, CI), so a log file holds one line per report.
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

export interface ProgressWriter {
  write(line: string): void;
  /** end the in-place line (before other output) */
  done(): void;
}

/** A writer for a Node-style stream; `isTTY` decides between `\r` rewriting and plain lines. */
export function progressWriter(stream: { write(s: string): unknown; isTTY?: boolean }): ProgressWriter {
  let open = false;
  return {
    write(line) {
      if (stream.isTTY) {
        stream.write(`\r${line}\x1b[K`);
        open = true;
      } else stream.write(`${line}\n`);
    },
    done() {
      if (open) stream.write('\n');
      open = false;
    },
  };
}
