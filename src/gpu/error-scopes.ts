/**
 * GPU errors, named by the op that caused them. WebGPU reports validation and out-of-memory errors
 * asynchronously, through error scopes: the engine pushes one around each shader compile, bind
 * group and submission, and hands it here, which pops it and keeps what it finds. The next read
 * or sync throws the first error kept (engine.throwPendingErrors).
 */
import { GpuError } from '../errors.js';

export class ErrorScopes {
  private readonly checks: Promise<void>[] = [];
  private readonly errors: Error[] = [];

  constructor(private readonly device: GPUDevice) {}

  /** Pop the scope around `op`'s shader module and pipeline; a compile error reads as the shader's messages. */
  watchShader(op: string, kind: string, module: GPUShaderModule): void {
    const scope = this.device.popErrorScope();
    this.checks.push(
      scope.then(async (err) => {
        if (!err) return;
        let detail = err.message;
        try {
          const info = await module.getCompilationInfo();
          const msgs = info.messages.filter((m) => m.type === 'error').map((m) => `line ${m.lineNum}: ${m.message}`);
          if (msgs.length) detail = msgs.join('\n');
        } catch {
          /* keep the scope's message */
        }
        this.errors.push(new GpuError(op, kind, detail));
      }),
    );
  }

  /** Pop the scope pushed around `op`. */
  watch(op: string, kind: string): void {
    this.checks.push(
      this.device.popErrorScope().then((err) => {
        if (err) this.errors.push(new GpuError(op, kind, err.message));
      }),
    );
  }

  /** An error found another way (an asynchronous pipeline that failed). */
  add(error: Error): void {
    this.errors.push(error);
  }

  /** The first error collected once every pending scope has answered; the rest are dropped. */
  async first(): Promise<Error | undefined> {
    await Promise.all(this.checks.splice(0));
    const e = this.errors.shift();
    this.errors.length = 0;
    return e;
  }
}
