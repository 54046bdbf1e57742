#!/usr/bin/env bash
# bench/gpu.sh [--record] [--budget SECONDS] [--tuning default|auto]
#
# The kernel and method benchmarks in Node (Dawn on the machine's Vulkan driver), in one command
# and within a time budget (default 270 s; the whole run stays under 5 minutes), writing one JSON
# that names the adapter: out/results/gpu-node.json, or bench/results/gpu-node.json with --record.
# It runs from a checkout (Node and node_modules there) or from the folder scripts/pack-gpu.sh
# builds (its own Node, dawn.node and libvulkan, for a bare Linux machine with an NVIDIA GPU).
# It checks the Vulkan loader and the ICDs first; without a GPU driver it falls back to SwiftShader
# and says so.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
record=0
budget=270
tuning=default
while [ $# -gt 0 ]; do
  case "$1" in
    --record) record=1 ;;
    --budget) budget=${2:?--budget needs seconds}; shift ;;
    --tuning) tuning=${2:?--tuning needs default or auto}; shift ;;
    *) echo "gpu.sh: unknown argument '$1' (use --record, --budget SECONDS, --tuning default|auto)" >&2; exit 2 ;;
  esac
  shift
done
case "$budget" in ''|*[!0-9]*) echo "gpu.sh: --budget takes whole seconds, got '$budget'" >&2; exit 2 ;; esac

say() { echo "gpu.sh: $*" >&2; }

# ---------------------------------------------------------------- where we run
if [ -f "$here/gpu-bench.mjs" ]; then # the packed folder
  node="$here/bin/node"
  script="$here/gpu-bench.mjs"
  commit=$(cat "$here/COMMIT" 2>/dev/null || echo unknown)
  results="$here/results"
  [ "$record" = 1 ] && say "--record writes bench/results/ of a checkout; in a packed folder the JSON goes to $results"
else # a checkout
  root=$(cd "$here/.." && pwd)
  node=node
  script="$root/.tmp/gpu-bench.mjs"
  mkdir -p "$root/.tmp"
  "$root/node_modules/.bin/esbuild" "$root/bench/gpu-node.ts" --bundle --platform=node --format=esm \
    --target=es2022 --external:webgpu --loader:.wgsl=text --conditions=pathlight-source \
    --ignore-annotations --log-level=warning --outfile="$script"
  commit=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
  if [ "$record" = 1 ]; then results="$root/bench/results"; else results="$root/out/results"; fi
fi
mkdir -p "$results"

# ---------------------------------------------------------------- Vulkan: loader and ICD
loader=$(ldconfig -p 2>/dev/null | awk '/libvulkan\.so\.1 /{print $NF; exit}' || true)
if [ -z "$loader" ] && [ -e "$here/lib/libvulkan.so.1" ]; then
  loader="$here/lib/libvulkan.so.1 (packed)"
  export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
if [ -d "$here/lib/compat" ]; then
  stdcxx=$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 /{print $NF; exit}' || true)
  if [ -z "$stdcxx" ] || ! grep -qa GLIBCXX_3.4.30 "$stdcxx"; then
    export LD_LIBRARY_PATH="$here/lib/compat${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    say "the host's libstdc++ is older than dawn.node needs: using the packed one"
  fi
fi
swiftshader=/usr/lib/chromium/vk_swiftshader_icd.json
icd_dirs="/etc/vulkan/icd.d /usr/local/share/vulkan/icd.d /usr/share/vulkan/icd.d"
gpu_icds=""
for d in $icd_dirs; do
  for f in "$d"/*.json; do
    [ -e "$f" ] || continue
    # lavapipe and SwiftShader are CPU drivers: not what this script is for
    grep -qiE 'lvp|swiftshader' "$f" || gpu_icds="$gpu_icds $f"
  done
done
gpu_icds=${gpu_icds# }
# NVIDIA containers often have the driver's Vulkan library but no ICD file (the 'graphics'
# capability adds it): point the loader at the library ourselves.
if [ -z "$gpu_icds" ] && ls /dev/nvidia0 >/dev/null 2>&1; then
  glx=$(ldconfig -p 2>/dev/null | awk '/libGLX_nvidia\.so\.0 /{print $NF; exit}' || true)
  if [ -n "$glx" ]; then
    gpu_icds="${TMPDIR:-/tmp}/pathlight_nvidia_icd.json"
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$glx" >"$gpu_icds"
    say "no NVIDIA ICD file; wrote $gpu_icds for $glx"
  fi
fi

if [ -n "${VK_ICD_FILENAMES:-}" ]; then
  vulkan="loader ${loader:-none}; ICD from VK_ICD_FILENAMES: $VK_ICD_FILENAMES"
elif [ -n "$loader" ] && [ -n "$gpu_icds" ]; then
  export VK_ICD_FILENAMES=${gpu_icds// /:}
  vulkan="loader $loader; ICD $VK_ICD_FILENAMES"
else
  why="no Vulkan loader (libvulkan.so.1)"
  [ -n "$loader" ] && why="no GPU Vulkan driver (no ICD in $icd_dirs, no nvidia_icd.json)"
  if [ -z "$loader" ] || [ ! -e "$swiftshader" ]; then
    say "$why, and no SwiftShader to fall back to ($swiftshader: apt-get install chromium libvulkan1)"
    exit 1
  fi
  export VK_ICD_FILENAMES=$swiftshader
  vulkan="loader $loader; $why: FALLING BACK TO SWIFTSHADER ($swiftshader), a CPU"
fi
say "$vulkan"

# ---------------------------------------------------------------- run
out="$results/gpu-node.json"
partial="$out.partial" # rewritten after each part; becomes $out once the run ends, cut short or not
rm -f "$partial"
export PATHLIGHT_COMMIT="$commit" PATHLIGHT_VULKAN="$vulkan"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
status=0
timeout --kill-after=10 "$((budget + 25))" "$node" "$script" --out "$partial" --budget "$budget" --tuning "$tuning" || status=$?
if [ ! -f "$partial" ]; then
  say "the benchmark wrote nothing (exit $status)"
  exit 1
fi
mv "$partial" "$out"
if [ "$status" = 124 ] || [ "$status" = 137 ]; then
  say "stopped at the time limit; $out holds the parts that finished"
elif [ "$status" != 0 ]; then
  say "the benchmark failed (exit $status); $out holds the parts that finished"
  exit "$status"
fi
adapter=$("$node" -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));const a=r.adapter;console.log([a.vendor,a.architecture,a.description].filter(Boolean).join(" / ")+(r.fallback?" (SwiftShader fallback)":""))' "$out")
say "adapter: $adapter"
say "wrote $out"
