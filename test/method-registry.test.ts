/**
 * The method registry (src/attribution/registry.ts), without a GPU: each method checks its own
 * methodOptions at its door, before any GPU work, refusing an unknown key by name with the known
 * ones; method names are checked when compiling (tsc reads this file: the @ts-expect-error lines
 * fail the typecheck if a misspelt name or a wrong option type ever compiles).
 */
import { describe, expect, it } from 'vitest';
import { cpuFunction, explain, methodNames, registerMethod } from '../src/index.js';
import type { Engine } from '../src/gpu/engine.js';

const noEngine = null as unknown as Engine; // every call below is refused before touching the GPU
const fn = cpuFunction((p, shape) => ({ f: new Float32Array(shape[0]!), grad: new Float32Array(p.length) }), {
  inputShape: [4],
  batchSize: 4,
});
const x = new Float32Array(4);
const refusal = (run: () => Promise<unknown>) =>
  run().then(
    () => 'resolved',
    (e: Error) => e.message,
  );

describe("method options at the method's door", () => {
  it('an unknown methodOptions key is refused by the method, naming the key and the known ones', async () => {
    // @ts-expect-error fractoin is not a Guided IG option
    expect(await refusal(() => explain(noEngine, fn, x, { method: 'gig', methodOptions: { fractoin: 0.1 } }))).toBe(
      "gig: unknown methodOptions key 'fractoin' (known: fraction, maxDist, maxRounds, score)",
    );
    // @ts-expect-error ig takes no options
    expect(await refusal(() => explain(noEngine, fn, x, { method: 'ig', methodOptions: { maxSigma: 2 } }))).toBe(
      "ig: unknown methodOptions key 'maxSigma' (known: none)",
    );
    expect(
      await refusal(() =>
        explain(noEngine, fn, x, { method: 'blurig', methodOptions: { maxSigma: 2, stepSize: 1 } as never }),
      ),
    ).toBe("blurig: unknown methodOptions key 'stepSize' (known: maxSigma, gradStep, sqrt)");
    expect(
      await refusal(() =>
        explain(noEngine, fn, x, { method: 'ig2', methodOptions: { references: x, eta: 1 } as never }),
      ),
    ).toBe("ig2: unknown methodOptions key 'eta' (known: references, referencesPerImage, stepSize, clip, earlyStop)");
  });

  it('the values are checked at the door too (IG2), before any GPU work', async () => {
    // @ts-expect-error references must be a Float32Array
    const call = () => explain(noEngine, fn, x, { method: 'ig2', methodOptions: { references: [0, 0, 0, 0] } });
    expect(await refusal(call)).toMatch(/^ig2: methodOptions.references must be a Float32Array/);
  });

  it('a method registered without an options parser takes any key', async () => {
    registerMethod('registry-test-any', {
      description: 'test',
      defaultSteps: 1,
      check: 'none',
      run: () => Promise.reject(new Error('ran')),
    });
    expect(methodNames()).toContain('registry-test-any');
    const method: string = 'registry-test-any'; // a name known only at run time
    expect(await refusal(() => explain(noEngine, fn, x, { method, methodOptions: { anything: 7 } }))).not.toMatch(
      /methodOptions/,
    );
  });

  it('a misspelt method name does not compile, and is refused at run time', async () => {
    // @ts-expect-error 'igg' is not in MethodRegistry
    expect(await refusal(() => explain(noEngine, fn, x, { method: 'igg' }))).toMatch(
      /^unknown method 'igg' \(available: grad, gradxinput, ig, idgi, /,
    );
  });
});
