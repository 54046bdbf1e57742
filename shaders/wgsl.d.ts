// WGSL sources are imported as text (esbuild `text` loader, a vite plugin in vitest).
declare module '*.wgsl' {
  const source: string;
  export default source;
}

declare module 'wgsl-preprocessor/wgsl-preprocessor.js' {
  export function wgsl(strings: TemplateStringsArray, ...values: unknown[]): string;
}
