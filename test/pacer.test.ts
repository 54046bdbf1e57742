/**
 * The pacer (src/gpu/pacer.ts) asks for a GPU promise near the predicted end of the submitted work
 * instead of at once, so Dawn's Node binding does not poll (spin the host thread) for the whole run.
 * Here a "GPU" is a timer: the test checks when the request is made.
 */
import { expect, it } from 'vitest';
import { Pacer } from '../src/gpu/pacer.js';

const gpu = (finishesAt: number) => () =>
  new Promise<number>((r) => setTimeout(() => r(performance.now()), Math.max(0, finishesAt - performance.now())));

/** Submit one `kind` that runs `ms`, wait on it; returns how long after the wait started the request came. */
async function round(pacer: Pacer, kind: string, ms: number, learnable = true): Promise<number> {
  const t0 = performance.now();
  pacer.submitted(kind, learnable);
  let askedAfter = -1;
  const finish = gpu(t0 + ms);
  await pacer.wait(() => ((askedAfter = performance.now() - t0), finish()));
  return askedAfter;
}

it('asks at once for a kind it has not timed, then near the end of the time it learned', async () => {
  const pacer = new Pacer(true);
  expect(await round(pacer, 'chunk', 200)).toBeLessThan(20);
  const asked = await round(pacer, 'chunk', 200);
  expect(asked).toBeGreaterThan(120); // slept ~0.85 × 200 ms before asking
  expect(asked).toBeLessThan(200);
  expect(await round(pacer, 'other', 200)).toBeLessThan(20); // another kind: no guess
});

it('never learns from a submission that ran a pipeline for the first time', async () => {
  const pacer = new Pacer(true);
  await round(pacer, 'cold', 200, false);
  expect(await round(pacer, 'cold', 200)).toBeLessThan(20);
});

it('shrinks a guess that proved too long, and asks at once where GPU promises do not poll (browsers)', async () => {
  const pacer = new Pacer(true);
  await round(pacer, 'chunk', 1000);
  const first = await round(pacer, 'chunk', 100); // slept ~850 ms, the answer came at once: the guess is cut
  const second = await round(pacer, 'chunk', 100); // ~0.85 × 0.9 × 850 ms
  expect(first).toBeGreaterThan(700);
  expect(second).toBeLessThan(first - 100);
  const browser = new Pacer(false);
  await round(browser, 'chunk', 100);
  expect(await round(browser, 'chunk', 100)).toBeLessThan(20);
});
