// One optimizer step, in place, for one parameter tensor of N values (PyTorch semantics).
//   SGD:  g = grad + WD·p;  buf = MOMENTUM·buf + g;  p −= lr·buf          (buf omitted if no momentum)
//   Adam: g = grad + WD·p (coupled L2; 0 for AdamW);  p −= lr·DECAY·p first (AdamW, decoupled)
//         m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;  p −= (lr/bc1)·m / (√v/√bc2 + ε)
// Hyper-parameters that are fixed for a run are baked; the per-step values (learning rate, bias
// corrections) come in a uniform so a schedule or a new step costs no pipeline.
struct Step {
  lr: f32,          // SGD: learning rate; Adam: lr / (1 − β1^t)
  inv_sqrt_bc2: f32, // Adam: 1 / √(1 − β2^t)
  decay: f32,       // AdamW: lr · weight decay (decoupled), else 0
  pad: f32,
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

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * ${WG}u + lid;
  if (i >= ${N}u) { return; }
  var p = param[i];
  let g = grad[i] + ${WD} * p;
#if ${ADAM}
  p = p - hp.decay * p;
  let mi = ${BETA1} * m[i] + (1.0 - ${BETA1}) * g;
  let vi = ${BETA2} * v[i] + (1.0 - ${BETA2}) * g * g;
  m[i] = mi;
  v[i] = vi;
  param[i] = p - hp.lr * mi / (sqrt(vi) * hp.inv_sqrt_bc2 + ${EPS});
#elif ${STATE1}
  let buf = ${MOMENTUM} * m[i] + g;
  m[i] = buf;
  param[i] = p - hp.lr * buf;
#else
  param[i] = p - hp.lr * g;
#endif
}
