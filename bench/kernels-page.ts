/** Browser side of `npm run bench:kernels`: the same suite on navigator.gpu. */
import { createEngine } from '../src/gpu/engine.js';
import { runKernelBench } from './kernels.js';

declare global {
  interface Window {
    runKernelBench?: () => Promise<unknown>;
  }
}

window.runKernelBench = async () => {
  const engine = await createEngine();
  try {
    return {
      runtime: 'chrome',
      userAgent: navigator.userAgent,
      date: new Date().toISOString(),
      ...(await runKernelBench(engine, { log: (s) => console.log(s), runtime: 'chromium' })),
    };
  } finally {
    engine.dispose();
  }
};
