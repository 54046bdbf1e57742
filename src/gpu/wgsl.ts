import { wgsl } from 'wgsl-preprocessor/wgsl-preprocessor.js';

export type ShaderParams = Record<string, string | number | boolean>;

const PLACEHOLDER = /\$\{(\w+)\}/g;

/**
 * Instantiate a WGSL source file: `${NAME}` placeholders are replaced by `params[NAME]`, and
 * `#if ${FLAG}` / `#elif` / `#else` / `#endif` blocks are resolved by wgsl-preprocessor.
 * Ops reach it through the program value (program.ts): params are what a pipeline bakes in;
 * sizes are uniforms unless baking one was measured faster.
 */
export function renderShader(source: string, params: ShaderParams): string {
  const strings: string[] = [];
  const values: unknown[] = [];
  let last = 0;
  for (const m of source.matchAll(PLACEHOLDER)) {
    const name = m[1]!;
    if (!(name in params)) throw new Error(`shader placeholder \${${name}} has no value`);
    strings.push(source.slice(last, m.index));
    values.push(params[name]);
    last = m.index! + m[0].length;
  }
  strings.push(source.slice(last));
  const raw = Object.assign([...strings], { raw: strings }) as unknown as TemplateStringsArray;
  return wgsl(raw, ...values);
}

/** Format a JS number as a WGSL f32 literal (always with a decimal point or exponent). */
export function f32(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`cannot bake non-finite f32 constant ${v}`);
  const s = String(v);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}
