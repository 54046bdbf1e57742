// One column phase of conv2d_grad_input.wgsl, its thread t counted from the phase's first:
// t = ((channel block · IMAGES + image) · SH + row phase) · slots + slot.
fn phase${K}(t: u32) {
  let iwStart = phases[${K}].x;
  let wp = u32(phases[${K}].y);
  let segments = u32(phases[${K}].z);
  let sh = shape.SH;
  let ph = shape.PH;
  let slots = ((shape.H + u32(sh) - 1u) / u32(sh)) * segments;
  let slot = t % slots;
  let plane = t / slots;
  let n = (plane / u32(sh)) % shape.IMAGES;
  let c0 = (plane / (u32(sh) * shape.IMAGES)) * CB;  // first input channel of this thread
  if (c0 >= shape.CIN) { return; }
  let ihStart = ((i32(plane % u32(sh)) - ph) % sh + sh) % sh;  // first row of the row phase
  let hp = (i32(shape.H) - ihStart + sh - 1) / sh;
  let pr = i32(slot / segments);  // phase row
  if (pr >= hp) { return; }
  let j0 = (slot % segments) * ${PB}u;  // first phase column of this thread's row segment
  let ih = ihStart + pr * sh;
${SETUP}
  let kernelH = shape.KH;
  let kernelW = shape.KW;
  let coutG = shape.COUT_G;
  let kk = shape.KK;
  let npix = shape.NPIX;
  for (var kh = 0u; kh < kernelH; kh++) {
    let th = ihStart + ph - i32(kh) * shape.DH;
    if (th % sh != 0) { continue; }  // tap skipped by the stride in this row phase
    let oh = pr + th / sh;
    if (u32(oh) >= shape.HO) { continue; }
    let dyRow = u32(oh) * shape.WO;
    for (var co = 0u; co < coutG; co++) {
      let wk = co * kk + kh * kernelW;  // GEMM k of (co, kh, kw = 0)
      let xk = co * npix + dyRow;
${STEP}
    }
  }
  let dst = Dst(shape.CIN, shape.HW, shape.W, shape.SW, iwStart, wp);
${STORE}
}
