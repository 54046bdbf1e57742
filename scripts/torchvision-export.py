"""torchvision architectures as ONNX fixtures for `npm run verify:torchvision` (issue #14, point 3).

Random seeded weights (pretrained ones cannot be downloaded here), eval mode. BatchNorm is made a
real op rather than the identity of fresh running stats (mean 0, var 1, weight 1, bias 0): random
affine parameters, and running statistics measured on random images (randomise_batchnorm).

For each architecture and size (3×64×64 and 3×224×224), under out/torchvision/<size>/ (git-ignored,
tens of MB at 224; this script regenerates them):

  <arch>.onnx         torch 2.13's dynamo exporter, its default opset, dynamic batch axis
  <arch>.input.npy    float32 input, 2 images in [0, 1)
  <arch>.logits.npy   float64 logits of model.double() on that input
  <arch>.grad.npy     float64 ∂/∂input of Σ_i logits[i, targets[i]]

and manifest.json (torch / torchvision versions, exporter, opset, per architecture its targets,
ONNX ops, onnxruntime's float32 max |logit − PyTorch float64| and PyTorch float32's own input
gradient's relative L2 error per image: a network with many units near a kink (ReLU6, hard-swish)
can be so ill-conditioned that no float32 implementation reaches the 1e-3 bound). The export fails when
onnxruntime and PyTorch disagree by more than ORT_RTOL of the largest |logit|.

    python3 scripts/torchvision-export.py [--sizes 64,224] [--archs resnet18,...]
"""
import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from torch import nn


def import_torchvision_without_ops():
    """The local index's torchvision 0.28 wheel is the CUDA build; its _C.so (nms, roi_align, …) needs
    libtorch_cuda.so, which the CPU torch 2.13 lacks, and two import-time modules register fake and
    autograd kernels for those missing ops and fail. The classification models are plain Python
    and use none of them, so those two modules are stubbed out."""
    import types

    for name in ("torchvision._meta_registrations", "torchvision._autograd_registrations"):
        sys.modules.setdefault(name, types.ModuleType(name))
    import torchvision

    return torchvision


torchvision = import_torchvision_without_ops()

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "out" / "torchvision"
ARCHS = ["resnet18", "mobilenet_v2", "mobilenet_v3_small", "squeezenet1_1", "shufflenet_v2_x0_5", "efficientnet_b0", "mnasnet0_5"]
SIZES = [64, 224]
SEED = 1414
BATCH = 2
TARGETS = [3, 817]  # a fixed logit per image, of the 1000 ImageNet classes
ORT_RTOL = 1e-4  # float32 onnxruntime vs float64 PyTorch through 50-100 layers, relative to max |logit|


def load_patterns_module():
    """The ONNX pattern fixtures' script owns drop_stack_traces; reuse it rather than copy it."""
    path = ROOT / "test" / "fixtures" / "export_onnx_patterns.py"
    spec = importlib.util.spec_from_file_location("export_onnx_patterns", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def randomise_batchnorm(model: nn.Module, size: int, gen: torch.Generator) -> None:
    """Affine weight in 0.5–1.5 and bias ±0.1 per channel, then running statistics collected on 8
    random images (one cumulative pass, BN layers alone in train mode: dropout and stochastic depth
    stay off). Statistics drawn at random instead compound over 50 layers: efficientnet_b0's logits
    reached 3e4, and float32 could no longer follow them."""
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    model.eval()
    with torch.no_grad():
        for m in norms:
            m.weight.copy_(0.5 + torch.rand(m.num_features, generator=gen))
            m.bias.copy_(0.1 * (2 * torch.rand(m.num_features, generator=gen) - 1))
            m.reset_running_stats()
            m.momentum = None
            m.train()
        model(torch.rand(8, 3, size, size, generator=gen))
    model.eval()


def export(model: nn.Module, x: torch.Tensor, path: Path, drop_stack_traces) -> None:
    program = torch.onnx.export(model, (x,), dynamic_shapes=({0: torch.export.Dim("N")},),
                                input_names=["input"], output_names=["logits"], dynamo=True, verbose=False)
    program.save(str(path))  # weights inline: ≤ 47 MB (resnet18), far below the 2 GB external-data threshold
    drop_stack_traces(path)


def make(arch: str, size: int, outdir: Path, drop_stack_traces) -> dict:
    seed = SEED + 100 * ARCHS.index(arch) + size  # per architecture and size
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = getattr(torchvision.models, arch)(weights=None)
    randomise_batchnorm(model, size, gen)
    x = torch.rand(BATCH, 3, size, size, generator=gen)
    started = time.time()
    export(model, x, outdir / f"{arch}.onnx", drop_stack_traces)
    exported = time.time() - started
    x32 = x.clone().requires_grad_(True)  # PyTorch's own float32 gradient: how far float32 can follow
    model(x32)[torch.arange(BATCH), TARGETS].sum().backward()

    ref = model.double()  # after the float32 export
    xd = x.double().requires_grad_(True)
    logits = ref(xd)
    logits[torch.arange(BATCH), TARGETS].sum().backward()
    want = logits.detach().numpy()
    np.save(outdir / f"{arch}.input.npy", x.numpy())
    np.save(outdir / f"{arch}.logits.npy", want)
    np.save(outdir / f"{arch}.grad.npy", xd.grad.numpy())

    proto = onnx.load(str(outdir / f"{arch}.onnx"))
    session = ort.InferenceSession(str(outdir / f"{arch}.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0].astype(np.float64)
    gap = float(np.abs(got - want).max())
    g32, g64 = x32.grad.numpy().astype(np.float64), xd.grad.numpy()
    floor = [float(np.linalg.norm(g32[i] - g64[i]) / np.linalg.norm(g64[i])) for i in range(BATCH)]
    entry = {
        "input_shape": [BATCH, 3, size, size],
        "targets": TARGETS,
        "opset": next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")),
        "ops": sorted({n.op_type for n in proto.graph.node}),
        "onnx_bytes": (outdir / f"{arch}.onnx").stat().st_size,
        "max_abs_logit": float(np.abs(want).max()),
        "ort_max_abs_diff": gap,
        "torch_f32_grad_rel_l2": floor,
        "export_s": round(exported, 1),
    }
    print(f"{size:3d} {arch:20s} opset {entry['opset']}  |logit| ≤ {entry['max_abs_logit']:.3g}  ort gap {gap:.2e}  torch f32 grad {max(floor):.1e}"
          f"  export {exported:.0f} s  ops {' '.join(entry['ops'])}", flush=True)
    if got.shape != want.shape or gap > ORT_RTOL * entry["max_abs_logit"]:
        sys.exit(f"{arch} at {size}: onnxruntime differs from PyTorch float64 by {gap:.3g} (> {ORT_RTOL} of max |logit|)")
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--archs", default=",".join(ARCHS))
    args = parser.parse_args()
    archs = args.archs.split(",")
    unknown = [a for a in archs if a not in ARCHS]
    if unknown:
        sys.exit(f"unknown architecture(s) {', '.join(unknown)}; known: {', '.join(ARCHS)}")
    drop_stack_traces = load_patterns_module().drop_stack_traces
    torch.set_num_threads(2)
    for size in map(int, args.sizes.split(",")):
        outdir = OUT / str(size)
        outdir.mkdir(parents=True, exist_ok=True)
        path = outdir / "manifest.json"
        manifest = json.loads(path.read_text()) if path.exists() else {"architectures": {}}
        manifest.update({"torch": torch.__version__, "torchvision": torchvision.__version__,
                         "exporter": "dynamo (torch.onnx.export, dynamo=True, default opset)", "seed": SEED})
        for arch in archs:
            manifest["architectures"][arch] = make(arch, size, outdir, drop_stack_traces)
            path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
