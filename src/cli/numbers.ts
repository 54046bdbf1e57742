/**
 * Numbers on command lines: plain decimal digits only, so '', '0x10', '1e1', '+3' and ' 4' are
 * errors rather than something Number() happens to accept. Environment-free (the benchmark page
 * parses its flags with it in the browser).
 */

/** A plain decimal integer ('12'), or undefined. */
export function decimalInt(text: string): number | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  const v = Number(text);
  return Number.isSafeInteger(v) ? v : undefined;
}

/** A plain decimal number ('0.5', '-1', '2.25e-3'), or undefined: no hex, no 'Infinity', no blanks. */
export function decimalNumber(text: string): number | undefined {
  if (!/^-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?$/i.test(text)) return undefined;
  const v = Number(text);
  return Number.isFinite(v) ? v : undefined;
}
