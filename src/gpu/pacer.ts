/**
 * Waits on the GPU that leave the host thread alone. Dawn's Node binding polls for completion in a
 * setImmediate loop for as long as any GPU promise (mapAsync, onSubmittedWorkDone) is pending, so
 * a readback requested right after a 2 s submission spins the host thread for 2 s. On a CPU "GPU"
 * (SwiftShader) that takes a core from the driver's threads, and each poll can block for 40–150 ms,
 * so timers stall. The pacer learns how long each kind of submission takes (its ops, dispatch and
 * workgroup counts) and sleeps until shortly before the predicted end before it asks. A kind seen
 * for the first time is asked for at once, as before, and so is one whose submissions ran a
 * pipeline for the first time (SwiftShader compiles parts of a pipeline on its first dispatch: a
 * cold ResNet chunk takes 2.5× a warm one). Browsers resolve promises without polling: there the
 * pacer asks at once.
 */
interface Submission {
  readonly kind: string;
  readonly at: number;
  readonly learnable: boolean;
}

export class Pacer {
  private readonly cost = new Map<string, number>(); // ms the GPU spent on one submission of a kind
  private unlearned: Submission[] = [];
  private readonly waiting = new Set<Submission[]>(); // batches of waits still pending
  private busyUntil = 0; // predicted end of everything submitted so far
  private lastDone = 0; // when a wait last saw the GPU done

  constructor(private readonly enabled: boolean) {}

  submitted(kind: string, learnable: boolean): void {
    if (!this.enabled) return;
    const now = performance.now();
    this.unlearned.push({ kind, at: now, learnable });
    this.busyUntil = Math.max(this.busyUntil, now) + (this.cost.get(kind) ?? 0);
  }

  /** `request()` (a promise that resolves once the GPU is done with what was submitted), asked for near the predicted end. */
  async wait<T>(request: () => Promise<T>): Promise<T> {
    if (!this.enabled) return request();
    const batch = this.unlearned.splice(0);
    this.waiting.add(batch);
    const sleep = 0.85 * (this.busyUntil - performance.now());
    if (sleep > 4) await new Promise((r) => setTimeout(r, sleep));
    const asked = performance.now();
    const result = await request().finally(() => this.waiting.delete(batch));
    const done = performance.now();
    if (batch.length) this.learn(batch, done, done - asked < 2);
    this.lastDone = Math.max(this.lastDone, done);
    // the batch is done: what else is in flight ends at most its predicted time later, not after an end predicted too late
    const queued = [...this.waiting, this.unlearned].flat().reduce((a, s) => a + (this.cost.get(s.kind) ?? 0), 0);
    this.busyUntil = Math.min(this.busyUntil, done + queued);
    return result;
  }

  /** Spread the measured busy time over the batch. An answer that came at once only bounds the cost from above: guess a little under that bound. */
  private learn(batch: Submission[], done: number, early: boolean): void {
    if (this.cost.size > 1024) this.cost.clear(); // many shapes over a long life: start learning again
    const span = done - Math.max(batch[0]!.at, this.lastDone);
    const known = batch.map((s) => this.cost.get(s.kind));
    const guess =
      known.reduce<number>((a, c) => a + (c ?? 0), 0) / Math.max(1, known.filter((c) => c !== undefined).length) || 1;
    const total = known.reduce<number>((a, c) => a + (c ?? guess), 0);
    batch.forEach((s, i) => {
      const measured = (span * (known[i] ?? guess)) / total;
      if (s.learnable)
        this.cost.set(s.kind, early && known[i] !== undefined ? Math.min(known[i]!, measured) * 0.9 : measured);
    });
  }
}
