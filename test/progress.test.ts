/** Progress lines (src/cli/progress.ts): the trainer's writer and explain's stages, on a fake clock and stream. */
import { describe, expect, it } from 'vitest';
import { duration, progressWriter, stagedProgress } from '../src/cli/progress.js';

function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return { isTTY, chunks, write: (s: string) => chunks.push(s), text: () => chunks.join('') };
}

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('progressWriter (the trainer)', () => {
  it('rewrites one line on a terminal and ends it; writes whole lines to a log', () => {
    const tty = fakeStream(true);
    const w = progressWriter(tty);
    w.write('epoch 1/2');
    w.write('epoch 2/2');
    w.done();
    expect(tty.text()).toBe('\repoch 1/2\x1b[K\repoch 2/2\x1b[K\n');
    const log = fakeStream(false);
    const l = progressWriter(log);
    l.write('epoch 1/2');
    l.done();
    expect(log.text()).toBe('epoch 1/2\n');
  });
});

describe('stagedProgress (explain)', () => {
  it('a run shorter than the delay writes nothing', () => {
    const c = clock();
    const s = fakeStream(false);
    const p = stagedProgress(s, { now: c.now, timer: false });
    p.stage('compiling kernels', { counted: true });
    p.update(0, 10);
    c.advance(500);
    p.update(10, 10);
    p.stage('explaining', { counted: true, eta: true });
    p.update(64, 64);
    p.stage('writing');
    p.tick();
    p.finish();
    expect(s.chunks).toEqual([]);
  });

  it('a log gets one line per stage (a counted one with its counts) and one every 10 s, with the time left', () => {
    const c = clock();
    const s = fakeStream(false);
    const p = stagedProgress(s, { now: c.now, timer: false });
    p.stage('loading the model');
    c.advance(1200);
    p.tick(); // past the delay: the current stage shows
    p.stage('compiling kernels', { counted: true });
    p.tick(); // waits for its counts
    p.update(0, 12);
    for (let k = 1; k <= 12; k++) (c.advance(100), p.update(k, 12), p.tick()); // within 10 s: no more lines
    p.stage('explaining', { counted: true, eta: true });
    c.advance(1000);
    p.tick(); // a second without counts: the stage shows without them
    c.advance(3000);
    p.update(16, 64); // 16 in 4 s: 48 more take 12 s
    c.advance(10_000);
    p.update(56, 64);
    p.tick(); // 10 s after the last line
    p.stage('writing');
    p.finish();
    expect(s.text().split('\n')).toEqual([
      'loading the model',
      'compiling kernels 0/12',
      'explaining',
      'explaining 56/64, about 2 s left',
      'writing',
      '',
    ]);
  });

  it('a terminal gets one line, rewritten (at most 10 times a second, the last count always), erased at the end', () => {
    const c = clock();
    const s = fakeStream(true);
    const p = stagedProgress(s, { now: c.now, delayMs: 1000, timer: false });
    p.stage('compiling kernels', { counted: true });
    c.advance(1000);
    p.update(1, 3);
    c.advance(10);
    p.update(2, 3); // 10 ms later: skipped
    c.advance(10);
    p.update(3, 3); // the last count: shown
    p.stage('explaining', { counted: true, eta: true });
    c.advance(2000);
    p.update(10, 40);
    c.advance(1000);
    p.tick(); // the time left moves on: 3 s for 10, 30 to go
    p.finish();
    expect(s.chunks).toEqual([
      '\rcompiling kernels 1/3\x1b[K',
      '\rcompiling kernels 3/3\x1b[K',
      '\rexplaining 10/40, about 6 s left\x1b[K',
      '\rexplaining 10/40, about 9 s left\x1b[K',
      '\r\x1b[K',
    ]);
    expect(s.text()).not.toContain('\n');
  });

  it('durations', () => {
    expect(duration(400)).toBe('1 s');
    expect(duration(45_000)).toBe('45 s');
    expect(duration(200_000)).toBe('3 min 20 s');
  });
});
