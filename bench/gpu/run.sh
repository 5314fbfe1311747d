#!/usr/bin/env bash
# GPU benchmark for a Linux x86-64 GPU machine without Node or network: the engine on tfjs's webgpu
# backend (Dawn over Vulkan) next to PyTorch on the same GPU, in one run, for batch 1 and 2.
# Needs the bundle from `node bench/gpu/make-bundle.mjs` (in .gpubench/, carried with the repository).
#
#   bash bench/gpu/run.sh [--bundle .gpubench] [--net resnet101] [--height 512] [--width 896]
#                         [--batches 1,2] [--reps 5] [--out DIR] [--budget SECONDS]
#
# Prints the adapter, one JSON line per measurement and a comparison table; writes the JSON files and
# the table to --out (default: $OUT where the device tool sets it, else ./gpubench-results).
set -uo pipefail
cd "$(dirname "$0")/../.."
bundle=.gpubench net=resnet101 height=512 width=896 batches=1,2 reps=5 out="${OUT:-$PWD/gpubench-results}" budget=540
while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) bundle=$2; shift 2 ;; --net) net=$2; shift 2 ;; --height) height=$2; shift 2 ;;
    --width) width=$2; shift 2 ;; --batches) batches=$2; shift 2 ;; --reps) reps=$2; shift 2 ;;
    --out) out=$2; shift 2 ;; --budget) budget=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
start=$SECONDS
mkdir -p "$out"
work=$(mktemp -d /tmp/proda-gpubench.XXXXXX)
tar -C "$work" -xJf "$bundle/bundle.tar.xz" || { echo "cannot unpack $bundle/bundle.tar.xz (make it with bench/gpu/make-bundle.mjs)" >&2; exit 3; }

# Vulkan loader: the machine's own, else the Debian package shipped in the bundle, unpacked privately.
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
  for deb in "$bundle"/debs/*.deb; do [ -e "$deb" ] && dpkg -x "$deb" "$work/sys"; done
  export LD_LIBRARY_PATH="$work/sys/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "Vulkan loader: from the bundle ($(ls "$bundle"/debs 2>/dev/null | tr '\n' ' '))"
else
  echo "Vulkan loader: the machine's ($(ldconfig -p | grep -m1 'libvulkan\.so\.1' | sed 's/.*=> //'))"
fi
# NVIDIA containers often keep the driver's ICD outside the loader's search path.
if [ -z "${VK_DRIVER_FILES:-}" ] && ! ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json >/dev/null 2>&1; then
  for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/nvidia/vulkan/icd.d/nvidia_icd.json; do
    [ -f "$icd" ] && export VK_DRIVER_FILES=$icd && echo "Vulkan ICD: $icd" && break
  done
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

left() { echo $((budget - (SECONDS - start))); }
results=()
echo "== engine, tfjs webgpu"
timeout "$(left)" "$work/node" "$work/gpu-bench.mjs" --net "$net" --height "$height" --width "$width" --batches "$batches" --reps "$reps" --json "$out/webgpu.json"
rc=$?
[ $rc -eq 0 ] && results+=("$out/webgpu.json") || echo "engine benchmark exited with $rc" >&2

if /usr/bin/env python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  for b in ${batches//,/ }; do
    echo "== PyTorch, CUDA, batch $b"
    timeout "$(left)" python3 bench/pytorch_step.py --net "$net" --height "$height" --width "$width" --batch "$b" --steps "$reps" --device cuda --gpu-json "$out/pytorch-$b.json" --time-cap 120 \
      && results+=("$out/pytorch-$b.json")
  done
else
  echo "PyTorch with CUDA is not available here: no PyTorch row"
fi
"$work/node" "$work/gpu-bench.mjs" --report "${results[@]}" | tee "$out/table.md"
rm -rf "$work"
echo "done in $((SECONDS - start)) s"
