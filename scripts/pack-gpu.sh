#!/usr/bin/env bash
# scripts/pack-gpu.sh [FOLDER]: build the folder that runs bench/gpu.sh on a bare Linux x86-64
# machine with a GPU (an NVIDIA one: its driver brings the Vulkan ICD), and its .tar.xz beside it.
# FOLDER defaults to gpu-pack/ in the checkout (ignored by git, never committed). It holds:
#   bin/node                 this machine's Node binary
#   node_modules/webgpu/     the npm package `webgpu`: index.js and the linux-x64 dawn.node only
#   lib/libvulkan.so.1       Debian's libvulkan1 (the loader), used only where the host has none
#   lib/compat/              Debian's libstdc++ and libgcc_s, used only where the host's libstdc++
#                            is older than dawn.node needs (GLIBCXX_3.4.30)
#   gpu-bench.mjs            bench/gpu-node.ts bundled (the library inside it)
#   gpu.sh, COMMIT, README   bench/gpu.sh, the commit it was built from, how to run it
# The host still needs glibc 2.34 or later (Debian 12, Ubuntu 22.04, RHEL 9 and later).
# Run: tar -xJf gpu-pack.tar.xz && gpu-pack/gpu.sh  (results in gpu-pack/results/gpu-node.json)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
pack=${1:-$root/gpu-pack}
say() { echo "pack-gpu: $*" >&2; }

[ "$(uname -sm)" = "Linux x86_64" ] || { say "builds a Linux x86-64 folder, and this is $(uname -sm)"; exit 1; }
dawn="$root/node_modules/webgpu/dist/linux-x64/dawn.node"
[ -f "$dawn" ] || { say "no $dawn (npm ci first)"; exit 1; }

rm -rf "$pack"
mkdir -p "$pack/bin" "$pack/lib/compat" "$pack/node_modules/webgpu/dist/linux-x64" "$pack/results"
cp "$(readlink -f "$(command -v node)")" "$pack/bin/node"
cp "$root/node_modules/webgpu/package.json" "$root/node_modules/webgpu/index.js" "$pack/node_modules/webgpu/"
cp "$dawn" "$pack/node_modules/webgpu/dist/linux-x64/"

# Debian's packages, downloaded (apt-get download needs no root); else the installed files.
debs=$(mktemp -d)
trap 'rm -rf "$debs"' EXIT
chmod 777 "$debs" # apt's sandbox user writes there
for p in libvulkan1 libstdc++6 libgcc-s1; do
  if (cd "$debs" && apt-get download "$p" >/dev/null 2>&1); then
    dpkg-deb -x "$debs/${p}"_*.deb "$debs/x"
  else
    say "apt-get download $p failed: copying the installed library instead"
  fi
done
lib() { # the real file of $1, from the downloaded package or the system
  local f
  f=$(ls "$debs"/x/usr/lib/x86_64-linux-gnu/"$1"* 2>/dev/null | head -1 || true)
  [ -n "$f" ] || f=$(ldconfig -p | awk -v n="$1" '$1 == n {print $NF; exit}')
  [ -n "$f" ] || { say "no $1 to pack"; exit 1; }
  readlink -f "$f"
}
cp "$(lib libvulkan.so.1)" "$pack/lib/libvulkan.so.1"
cp "$(lib libstdc++.so.6)" "$pack/lib/compat/libstdc++.so.6"
cp "$(lib libgcc_s.so.1)" "$pack/lib/compat/libgcc_s.so.1"

"$root/node_modules/.bin/esbuild" "$root/bench/gpu-node.ts" --bundle --platform=node --format=esm \
  --target=es2022 --external:webgpu --loader:.wgsl=text --conditions=pathlight-source \
  --ignore-annotations --log-level=warning --outfile="$pack/gpu-bench.mjs"
cp "$root/bench/gpu.sh" "$pack/gpu.sh"
chmod +x "$pack/gpu.sh" "$pack/bin/node"
git -C "$root" rev-parse HEAD >"$pack/COMMIT" 2>/dev/null || echo unknown >"$pack/COMMIT"
cat >"$pack/README" <<EOF
pathlight GPU benchmark, built from commit $(cat "$pack/COMMIT") by scripts/pack-gpu.sh.
Run ./gpu.sh [--budget SECONDS] [--tuning auto]: it checks the Vulkan loader and ICD, names the
adapter (or says it fell back to SwiftShader), and writes results/gpu-node.json within ~5 minutes.
Needs Linux x86-64 with glibc 2.34 or later and a GPU driver with Vulkan (NVIDIA: the driver's
nvidia_icd.json, or its libGLX_nvidia.so.0, which gpu.sh then points the loader at).
EOF

tar -C "$(dirname "$pack")" -cf - "$(basename "$pack")" | xz -6 -T2 >"$pack.tar.xz"
say "$pack: $(du -sh "$pack" | cut -f1), $pack.tar.xz: $(du -sh "$pack.tar.xz" | cut -f1)"
