/**
 * Subjects seen through a layer, for the path methods to run on unchanged:
 * - layerSubject: rows [layer values | input], f of the model with the layer's values spliced in
 *   and the rest of the network run from the input part (a skip path around the layer sees it);
 *   ∇f is the layer's gradient, 0 on the input part. Layer IG and layer IDGI keep the input part
 *   at x (both ends of their path hold it), so they move the layer alone.
 * - neuronSubject: f is one unit of a layer, ∇f its input gradient (neuron IG).
 */
import { sizeOf, type Tensor } from '../../tensor/tensor.js';
import { pad, slice } from '../../ops/strided.js';
import { answered, wants, type EvaluationKey, type Explainable, type KeyedRequest } from '../subject.js';
import './seam.js';

export function layerSubject(inner: Explainable, layer: string, layerShape: readonly number[]): Explainable {
  const [l, d] = [sizeOf(layerShape), sizeOf(inner.inputShape)];
  return {
    name: `${inner.name} at ${layer}`,
    inputShape: [l + d],
    numClasses: inner.numClasses,
    rowsForBudget: (budget) => inner.rowsForBudget(budget),
    topClasses: (x) => inner.topClasses(x),
    async evaluate<K extends EvaluationKey>(points: Tensor, r: KeyedRequest<K>) {
      const rows = points.shape[0]!;
      const flat = points.reshape([rows, l + d]);
      const splice = slice(flat, 1, 0, l).reshape([rows, ...layerShape]);
      const input = slice(flat, 1, l, l + d).reshape([rows, ...inner.inputShape]);
      flat.dispose();
      try {
        const grad = wants(r, 'grad');
        const want: EvaluationKey[] = grad ? ['f', 'layerGrad'] : ['f', 'activation'];
        const ev = await inner.evaluate(input, { ...r, want, tap: { layer, splice } });
        ev.activation?.dispose();
        if (!grad) return answered<K>({ f: ev.f });
        const g = ev.layerGrad!.reshape([rows, l]);
        ev.layerGrad!.dispose();
        const padded = pad(g, [0, 0], [0, d]);
        g.dispose();
        return answered<K>({ f: ev.f, grad: padded });
      } finally {
        splice.dispose();
        input.dispose();
      }
    },
  };
}

export function neuronSubject(inner: Explainable, layer: string, unit: number, label: string): Explainable {
  return {
    name: `${inner.name} ${label}`,
    inputShape: inner.inputShape,
    numClasses: null,
    inputRange: inner.inputRange,
    pixelsToInput: inner.pixelsToInput,
    bytesPerRow: inner.bytesPerRow,
    rowsForBudget: (budget) => inner.rowsForBudget(budget),
    topClasses: async () => null,
    async evaluate<K extends EvaluationKey>(points: Tensor, r: KeyedRequest<K>) {
      const grad = wants(r, 'grad');
      const ev = await inner.evaluate(points, {
        ...r,
        want: grad ? ['unit', 'unitGrad'] : ['unit'],
        tap: { layer, unit },
      });
      return answered<K>({ f: ev.unit, ...(grad ? { grad: ev.unitGrad } : {}) });
    },
  };
}
