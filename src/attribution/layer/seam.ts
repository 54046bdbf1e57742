/**
 * Layer keys on the seam (subject.ts), asked with `request.tap` naming a layer of the subject:
 * `activation` (the layer's values at the points), `layerGrad` (∂f/∂layer there, the layer's values
 * replaced by `tap.splice` when given: the rest of the network still runs from the points), and
 * `unit` / `unitGrad` (one unit of the layer and its input gradient, in place of the target's f).
 * A model answers them in one forward and one backward (model.ts); functions have no layers.
 */
import type { Tensor } from '../../tensor/tensor.js';

export interface LayerTap {
  /** the layer as the model's file names it (Model.layers()) */
  layer: string;
  /** [rows, ...layerShape]: values standing for the layer's output (layer IG's interpolated activations) */
  splice?: Tensor;
  /** flat index of one unit of a row of the layer (`unit`, `unitGrad`) */
  unit?: number;
}

declare module '../subject.js' {
  interface Evaluation {
    /** [rows, ...layerShape] */
    activation: Tensor;
    /** [rows, ...layerShape] */
    layerGrad: Tensor;
    /** [rows] */
    unit: Tensor;
    /** [rows, ...inputShape] */
    unitGrad: Tensor;
  }
  interface EvaluationRequest {
    /** the layer the layer keys are asked of */
    tap?: LayerTap;
  }
}
