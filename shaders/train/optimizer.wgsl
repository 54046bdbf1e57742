// One optimizer step, in place, over every value of `param` (one tensor, or all of a model's laid end
// to end: src/train/flat-parameters.ts), PyTorch semantics.
//   SGD:  g = grad + wd·p;  buf = momentum·buf + g;  p −= lr·buf          (buf omitted if no momentum)
//   Adam: g = grad + wd·p (coupled L2; 0 for AdamW);  p −= decay·p first (AdamW, decoupled)
//         m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;  p −= (lr/bc1)·m / (√v/√bc2 + ε)
// The size is the binding's, the hyper-parameters a uniform (the trainer writes its own each step):
// one pipeline per variant for every parameter and step.
struct Step {
  lr: f32,           // SGD: learning rate; Adam: lr / (1 − β1^t)
  inv_sqrt_bc2: f32, // Adam: 1 / √(1 − β2^t)
  decay: f32,        // AdamW: lr · weight decay (decoupled), else 0
  momentum: f32,
  wd: f32,           // L2 penalty added to the gradient
  beta1: f32,
  beta2: f32,
  eps: f32,
}

@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<uniform> hp: Step;
#if ${STATE1}
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
#endif
#if ${ADAM}
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
#endif

${MAIN}
  if (i >= arrayLength(&param)) { return; }
  var p = param[i];
  let g = grad[i] + hp.wd * p;
#if ${ADAM}
  p = p - hp.decay * p;
  let mi = hp.beta1 * m[i] + (1.0 - hp.beta1) * g;
  let vi = hp.beta2 * v[i] + (1.0 - hp.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  param[i] = p - hp.lr * mi / (sqrt(vi) * hp.inv_sqrt_bc2 + hp.eps);
#elif ${STATE1}
  let buf = hp.momentum * m[i] + g;
  m[i] = buf;
  param[i] = p - hp.lr * buf;
#else
  param[i] = p - hp.lr * g;
#endif
}
