import { rowsForBudget } from '../../src/attribution/index.js';
import type { Model } from '../../src/nn/model.js';

/**
 * The smallest memoryBudgetBytes that still fits one of `model`'s rows: the budget that forces one
 * row per chunk (a budget under one row is refused, so tests cannot ask for 1 byte any more).
 */
export function oneRowBudget(model: Model): number {
  let lo = 1;
  let hi = 1 << 30;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (rowsForBudget(model, mid) >= 1) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
