/**
 * The method registry. Each method lives in its own file (methods/) and registers itself here with
 * its options parser, its run and the check it promises; explain() looks methods up by name. A
 * method gets the explain context and its options, and records GPU work that ends in an
 * attribution tensor shaped like the input [N, ...]; nothing is read back (except by a CPU
 * function's own evaluations).
 */
import { fail } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ExplainContext } from './context.js';
import type { IntegrationResult } from './integrators.js';
import type { IntegrationRule } from './quadrature.js';

/**
 * Method name → the type of its `methodOptions`. Each method's file adds its entry; an extension
 * adds its own with `declare module 'pathlight' { interface MethodRegistry { 'my-method': MyOptions } }`,
 * so explain()'s `method` is checked when compiling (a misspelt name does not compile).
 */
export interface MethodRegistry {}
export type MethodName = keyof MethodRegistry;

/** What every method gets beside its own options: explain()'s steps, rule and seed. */
export interface MethodSettings {
  steps: number;
  rule: IntegrationRule;
  seed: number;
}

/** @deprecated the options of a method registered without an options parser; parse your own with `options` (MethodInfo). */
export interface MethodOptions extends MethodSettings {
  [key: string]: unknown;
}

export interface MethodResult extends IntegrationResult {
  /**
   * f at the start of the path per image [N], when it is not the baseline (IG2 starts from
   * counterfactuals); completeness is then measured against it.
   */
  fStart?: Tensor;
}

/**
 * What Σ attr is held to (explain() reports it per image):
 * - 'complete': Σ attr = f(x) − f(start of the method's own path), up to the quadrature error;
 * - 'approximate': the same gap is reported, not promised (IG2's fixed-length steps end near its counterfactual);
 * - 'none': no promise (gradients, SmoothGrad).
 */
export type AttributionCheck = 'complete' | 'approximate' | 'none';
const CHECKS: readonly AttributionCheck[] = ['complete', 'approximate', 'none'];

export interface MethodInfo<O = Record<string, unknown>> {
  /**
   * methodOptions parsed and checked at the method's door, before any GPU work (unknown keys are
   * refused: see `methodOptions()`); without it, every key passes through to `run` unchecked.
   */
  options?: (raw: Readonly<Record<string, unknown>>) => O;
  run: (ctx: ExplainContext, options: O & MethodSettings) => MethodResult | Promise<MethodResult>;
  /** default number of steps (METHODS.md) */
  defaultSteps: number;
  /** the check that fits the method; default: 'complete' (a path from its start to x), or 'none' where `complete` is false */
  check?: AttributionCheck;
  /** the older form of `check`: true = 'complete', false = 'none' */
  complete?: boolean;
  /** what f is taken at where the path starts, for reports (default 'f(baseline)') */
  start?: string;
  /** set when the path has its own start (or none): explain() refuses a baseline with this message */
  ownStart?: string;
  description: string;
}

const registry = new Map<string, MethodInfo<unknown>>();

/** Add a method (built-in or a researcher's own); its name becomes usable in explain() and the CLI. */
export function registerMethod<O = Record<string, unknown>>(name: string, info: MethodInfo<O>): void {
  if (info.check !== undefined && !CHECKS.includes(info.check))
    fail(`registerMethod ${name}: check must be one of ${CHECKS.join(', ')}, got ${String(info.check)}`);
  registry.set(name, info as MethodInfo<unknown>);
}

/** The check a method declares (see MethodInfo.check). */
export function methodCheck(info: MethodInfo<unknown>): AttributionCheck {
  return info.check ?? (info.complete === false ? 'none' : 'complete');
}

export function getMethod(name: string): MethodInfo<unknown> {
  const m = registry.get(name);
  if (!m) fail(`unknown method '${name}' (available: ${[...registry.keys()].join(', ')})`);
  return m;
}

export function methodNames(): string[] {
  return [...registry.keys()];
}

/**
 * explain()'s methodOptions for `method`, every key checked against `known`: an unknown key is
 * refused, naming it and the known ones. For a method's `options` parser; the method checks the values.
 */
export function methodOptions<O extends object>(
  method: string,
  raw: Readonly<Record<string, unknown>>,
  known: readonly (keyof O & string)[],
): O {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    fail(`${method}: methodOptions must be an object, got ${String(raw)}`);
  const unknown = Object.keys(raw).find((k) => !known.includes(k as keyof O & string));
  if (unknown !== undefined)
    fail(`${method}: unknown methodOptions key '${unknown}' (known: ${known.join(', ') || 'none'})`);
  return raw as O;
}

/** The methodOptions of a method that takes none: `{}` (any key is refused). */
export type NoOptions = Record<string, never>;
