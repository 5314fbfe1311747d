#!/usr/bin/env bash
# Runs the GPU benchmark from the unpacked bundle on a Linux GPU machine without network or Node:
#   ./run.sh [--net resnet101|demo] [--size 512x896] [--batches 1,2] [--steps 3] [--no-pytorch]
# Dawn needs the Vulkan loader (libvulkan.so.1) and the GPU's Vulkan driver (for NVIDIA, the driver's
# nvidia_icd.json). When the loader is missing, any .deb files beside this script (e.g. Debian's
# libvulkan1) are unpacked into ./vulkan-root and used from there, without root.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 ' && ls "$here"/*.deb >/dev/null 2>&1; then
  mkdir -p "$here/vulkan-root"
  for deb in "$here"/*.deb; do dpkg-deb -x "$deb" "$here/vulkan-root"; done
  export LD_LIBRARY_PATH="$here/vulkan-root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
export PRODA_BACKEND=webgpu
exec "$here/bin/node" "$here/gpu-bench.mjs" "$@"
