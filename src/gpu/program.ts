/**
 * The program value: an op describes one kernel launch as data — WGSL template, compile-time
 * params, named bindings and the workgroup grid — and `engine.run(program)` does the rest. The
 * pipeline cache key is derived from (source, params), never hand-written; binding names are
 * checked against the shader's `@binding` declarations; every shader gets the shared prologue.
 */
import { renderShader, type ShaderParams } from './wgsl.js';
import { fail } from '../errors.js';

/** A storage binding: a buffer, a tensor (anything with `.buffer`), or a byte range of a buffer. */
export type StorageBinding = GPUBuffer | { readonly buffer: GPUBuffer } | BufferRange;
export interface BufferRange {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  readonly bytes: number;
}
/** Uniform data is given as bytes; the engine keeps one buffer per distinct content. */
export type UniformData = ArrayBufferView | ArrayBuffer;

/** A program compiled: its pipeline, and an id that keys its bind groups. */
export interface Kernel {
  readonly op: string;
  readonly pipeline: GPUComputePipeline;
  readonly id: number;
}

export type Grid = readonly [number, number?, number?] | { readonly threads: number };

export interface Program {
  /** names the op in errors, stats and profiles */
  readonly op: string;
  /** WGSL template (`${NAME}` placeholders, `#if` blocks: see wgsl.ts) */
  readonly source: string;
  /** compile-time values: shapes only where baking them is measured faster, else flags and types */
  readonly params?: ShaderParams;
  /** one entry per `@binding` the rendered shader declares, by variable name (undefined: absent) */
  readonly bindings: Readonly<Record<string, StorageBinding | UniformData | undefined>>;
  /** workgroups, or `{ threads }` for a 1-D kernel of `WG` lanes (folded to 2-D past the limit) */
  readonly grid: Grid;
}

/** Lanes of a 1-D kernel: `${WG}` in the source, and the unit of `{ threads }` grids. */
export const WG = 64;

/**
 * Prepended to every shader. `${MAIN}` opens a 1-D entry point with `i`, the flat invocation
 * index of a grid folded into 2-D (engine.grid1d); the shader closes its brace.
 */
const MAIN_1D =
  `@compute @workgroup_size(${WG}) fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, ` +
  `@builtin(local_invocation_index) lid: u32) {\n  let i = (wid.x + wid.y * nwg.x) * ${WG}u + lid;`;

/** How to bind one declared variable. */
export interface BindingSlot {
  readonly name: string;
  readonly index: number;
  readonly uniform: boolean;
}

export interface CompiledSource {
  readonly code: string;
  readonly slots: readonly BindingSlot[];
}

const DECLARATION = /@group\(0\)\s*@binding\((\d+)\)\s*var(?:<\s*(\w+)[^>]*>)?\s+(\w+)\s*:/g;

/** Render a program's WGSL and list its bindings (names in declaration order). */
export function compileSource(p: Program): CompiledSource {
  const code = renderShader(p.source, { WG, MAIN: MAIN_1D, ...p.params });
  const slots: BindingSlot[] = [];
  for (const m of code.matchAll(DECLARATION))
    slots.push({ index: Number(m[1]), uniform: m[2] === 'uniform', name: m[3]! });
  return { code, slots };
}

/** The bindings given must be exactly the shader's (checked on every launch, by name). */
export function checkBindings(p: Program, slots: readonly BindingSlot[]): void {
  const given = Object.keys(p.bindings).filter((k) => p.bindings[k] !== undefined);
  const missing = slots.filter((s) => p.bindings[s.name] === undefined).map((s) => s.name);
  const extra = given.filter((g) => !slots.some((s) => s.name === g));
  if (missing.length || extra.length)
    fail(
      `${p.op}: bindings do not match the shader (${[missing.length ? `missing ${missing.join(', ')}` : '', extra.length ? `not declared: ${extra.join(', ')}` : ''].filter(Boolean).join('; ')})`,
    );
}

const sourceIds = new Map<string, number>();

/** The pipeline cache key: the source's identity and the params, in a canonical order. */
export function programKey(p: Program): string {
  let id = sourceIds.get(p.source);
  if (id === undefined) sourceIds.set(p.source, (id = sourceIds.size + 1));
  const params = p.params ?? {};
  return `${id}|${p.op}|${Object.keys(params)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join(',')}`;
}

export function isUniformData(b: StorageBinding | UniformData): b is UniformData {
  return b instanceof ArrayBuffer || ArrayBuffer.isView(b);
}

/**
 * Elements of `count` floats seen as vec4 when `count` is a multiple of 4: the WGSL type, the
 * number of units and their bytes. Kernels over whole rows pass the row length.
 */
export function vec4Layout(count: number): { vec: boolean; T: string; units: number; unitBytes: number; zero: string } {
  const vec = count % 4 === 0;
  return {
    vec,
    T: vec ? 'vec4<f32>' : 'f32',
    units: vec ? count / 4 : count,
    unitBytes: vec ? 16 : 4,
    zero: vec ? 'vec4<f32>(0.0)' : '0.0',
  };
}

/** Bytes of mixed u32 / f32 uniform fields, in order (each field 4 bytes; pad to vec4 yourself). */
export function uniformBytes(fields: readonly (readonly ['u32' | 'f32' | 'i32', number])[]): ArrayBuffer {
  const buf = new ArrayBuffer(Math.max(16, Math.ceil(fields.length / 4) * 16));
  const view = new DataView(buf);
  fields.forEach(([type, v], i) => {
    if (type === 'f32') view.setFloat32(4 * i, v, true);
    else if (type === 'i32') view.setInt32(4 * i, v, true);
    else view.setUint32(4 * i, v, true);
  });
  return buf;
}
