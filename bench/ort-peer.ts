/**
 * The forward-pass peer of `npm run bench`: onnxruntime-web (the inference engine a browser user
 * would pick) with its wasm and webgpu execution providers, on the same `.onnx` bytes as
 * pathlight's `predict`. bench/bench.mjs serves the package's dist/ (its .wasm and .mjs builds) at
 * ORT_PATH; the wasm provider runs threaded in a cross-origin-isolated page.
 */
import * as ort from 'onnxruntime-web';

export const ORT_PATH = '/ort/';
export const ORT_PROVIDERS = ['webgpu', 'wasm'] as const;
export type OrtProvider = (typeof ORT_PROVIDERS)[number];

export interface OrtSession {
  run(x: Float32Array, shape: readonly number[]): Promise<Float32Array>;
  release(): Promise<void>;
}

/**
 * Where ORT finds its wasm builds, and one wasm thread per core, as the TF.js wasm peer (ORT's
 * default is half the cores).
 */
function configure(): void {
  ort.env.wasm.wasmPaths = ORT_PATH;
  ort.env.wasm.numThreads = navigator.hardwareConcurrency;
  ort.env.logLevel = 'error';
}

/** ORT's version and wasm settings, for the JSON. */
export function ortInfo(): { library: string; wasmThreads: number; simd: boolean } {
  configure();
  return {
    library: `onnxruntime-web ${ort.env.versions.web}`,
    wasmThreads: ort.env.wasm.numThreads ?? 0,
    simd: ort.env.wasm.simd !== false,
  };
}

/** A session on `provider` only (no fallback to another provider: a failure is the provider's). */
export async function ortSession(bytes: Uint8Array, provider: OrtProvider): Promise<OrtSession> {
  configure();
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
  });
  const input = session.inputNames[0]!;
  const output = session.outputNames[0]!;
  return {
    async run(x, shape) {
      const feed = new ort.Tensor('float32', x, [...shape]);
      const result = await session.run({ [input]: feed });
      const y = result[output]!;
      // getData() downloads a GPU-located output; the wasm provider's is already on the CPU
      const data = (await y.getData()) as Float32Array;
      for (const t of Object.values(result)) t.dispose();
      return data;
    },
    release: () => session.release(),
  };
}
