/**
 * Progress lines on stderr (or any stream) for the commands and the trainer: rewritten in place
 * with `\r` on a terminal, plain lines otherwise (logs, CI), so a log file holds whole lines.
 */
export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
}

export interface ProgressWriter {
  write(line: string): void;
  /** end the in-place line, keeping it (before other output) */
  done(): void;
  /** erase the in-place line (a terminal only; a log keeps its lines) */
  clear(): void;
}

/** A writer for a Node-style stream; `isTTY` decides between `\r` rewriting and plain lines. */
export function progressWriter(stream: ProgressStream): ProgressWriter {
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
    clear() {
      if (open) stream.write('\r\x1b[K');
      open = false;
    },
  };
}

/**
 * A long command's progress in stages ("compiling kernels 3/12", "explaining 40/128, about 12 s
 * left", "writing"). Nothing shows while the command is younger than `delayMs`, so a quick run
 * prints nothing. After that a terminal gets one line, rewritten as counts arrive and every
 * second (the time left moves on); a log gets one line when a stage starts (a counted stage's once
 * its first count arrives, or a second later) and one every `logEveryMs` within a stage.
 */
export interface StagedProgress {
  /** start a stage; `counted`: counts will come through update(); `eta`: show the time left */
  stage(label: string, options?: { counted?: boolean; eta?: boolean }): void;
  /** the current stage's count */
  update(done: number, total: number): void;
  /** stop: stop the timer and erase the terminal line (call it before the summary, or on an error) */
  finish(): void;
  /** the clock's work, called by the timer every second (tests call it by hand) */
  tick(): void;
}

export interface StagedProgressOptions {
  /** milliseconds, for tests (default performance.now) */
  now?: () => number;
  delayMs?: number;
  logEveryMs?: number;
  /** false: no timer (tests drive tick()) */
  timer?: boolean;
}

/** A StagedProgress that writes nothing (--quiet). */
export const SILENT_PROGRESS: StagedProgress = { stage() {}, update() {}, finish() {}, tick() {} };

export function stagedProgress(stream: ProgressStream, options: StagedProgressOptions = {}): StagedProgress {
  const now = options.now ?? (() => performance.now());
  const delayMs = options.delayMs ?? 1000;
  const logEveryMs = options.logEveryMs ?? 10_000;
  const tty = !!stream.isTTY;
  const writer = progressWriter(stream);
  const started = now();
  let current: {
    label: string;
    eta: boolean;
    start: number;
    done?: number;
    total?: number;
    shown: boolean;
    lastLine: number;
  } | null = null;
  let visible = false;
  let lastTtyWrite = -Infinity;
  const timer = options.timer === false ? null : setInterval(() => progress.tick(), 1000);
  timer?.unref?.();

  const line = (t: number): string => {
    const s = current!;
    if (s.total === undefined) return s.label;
    const counts = `${s.label} ${s.done}/${s.total}`;
    if (!s.eta || !s.done || s.done >= s.total) return counts;
    return `${counts}, about ${duration(((t - s.start) * (s.total - s.done)) / s.done)} left`;
  };

  const show = (t: number) => {
    writer.write(line(t));
    current!.shown = true;
    current!.lastLine = t;
    lastTtyWrite = t;
  };

  /** Whether anything may show yet (the command has run longer than delayMs). */
  const ready = (t: number) => (visible ||= t - started >= delayMs);

  const progress: StagedProgress = {
    stage(label, o = {}) {
      const t = now();
      current = { label, eta: !!o.eta, start: t, shown: false, lastLine: t };
      // a counted stage waits for its first count (its total), unless it is slow to come (tick)
      if (!o.counted && ready(t)) show(t);
    },
    update(done, total) {
      if (!current) return;
      current.done = done;
      current.total = total;
      const t = now();
      if (!ready(t)) return;
      // a log gets the stage's first line with its counts; a terminal is rewritten at most 10 times a second
      if (tty ? t - lastTtyWrite >= 100 || done === total : !current.shown) show(t);
    },
    tick() {
      if (!current) return;
      const t = now();
      if (!ready(t)) return;
      if (tty)
        show(t); // the time left moves on
      else if (!current.shown) {
        // the stage's first line: with its counts, or without them once a second has passed
        if (current.total !== undefined || t - current.start >= 1000) show(t);
      } else if (t - current.lastLine >= logEveryMs) show(t);
    },
    finish() {
      if (timer) clearInterval(timer);
      writer.clear();
      current = null;
    },
  };
  return progress;
}

/** "45 s", "3 min 20 s" */
export function duration(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}
