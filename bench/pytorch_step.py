"""PyTorch reference timings for bench/engine.bench.ts: forward and one SGD training step.

Usage: /usr/bin/python3 bench/pytorch_step.py --net demo|resnet101 --height H --width W --batch N
       [--classes C] [--threads 2] [--steps K] [--time-cap S] [--device cpu|cuda]
Prints one JSON line: {"forward_ms": ..., "step_ms": ..., "steps": k, ...}; with --device cuda also the first
(warm-up) forward and step times and the peak CUDA memory (bench/gpu/ runs it next to the webgpu engine).
The architecture is the one of fixtures/parity/nets_reference.py (the parity reference), the step is
the same as the TypeScript benchmark's: logits upsampled (bilinear, align_corners) to the input size,
cross-entropy against fixed random labels, backward, SGD momentum 0.9, weight decay 2e-4.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'parity'))
# bench/gpu's bundle ships nets_reference.py beside this file.
sys.path.insert(1, os.path.dirname(os.path.abspath(__file__)))
from nets_reference import Net  # noqa: E402

CONFIGS = {
    'demo': dict(block='basic', layers=[1, 1, 1, 1], widths=[16, 32, 64, 128], stem=16, width=64, groups=8,
                 dilations=[3, 6, 9, 12], bn_pretrain=False),
    'resnet101': dict(block='bottleneck', layers=[3, 4, 23, 3], widths=[64, 128, 256, 512], stem=64, width=256,
                      groups=32, dilations=[6, 12, 18, 24], bn_pretrain=False),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--net', choices=CONFIGS, required=True)
    ap.add_argument('--height', type=int, required=True)
    ap.add_argument('--width', type=int, required=True)
    ap.add_argument('--batch', type=int, default=1)
    ap.add_argument('--classes', type=int, default=19)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--steps', type=int, default=5)
    ap.add_argument('--time-cap', type=float, default=120.0)
    ap.add_argument('--device', choices=['cpu', 'cuda'], default='cpu')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1337)
    dev = torch.device(a.device)
    net = Net(dict(CONFIGS[a.net], classes=a.classes)).to(dev)
    x = torch.rand(a.batch, 3, a.height, a.width, device=dev)
    y = torch.randint(0, a.classes, (a.batch, a.height, a.width), device=dev)
    # CUDA runs asynchronously: a timing ends when the device has finished.
    sync = torch.cuda.synchronize if a.device == 'cuda' else (lambda: None)
    opt = torch.optim.SGD(net.parameters(), lr=1e-4, momentum=0.9, weight_decay=2e-4)

    def forward():
        net.eval()
        with torch.no_grad():
            net(x)
        sync()

    def step():
        net.train()
        opt.zero_grad()
        _, logits = net(x)
        up = F.interpolate(logits, size=(a.height, a.width), mode='bilinear', align_corners=True)
        F.cross_entropy(up, y, ignore_index=250).backward()
        opt.step()
        sync()

    first = {}

    def timed(f):
        times = []
        start = time.perf_counter()
        f()  # warm-up
        first[f.__name__] = (time.perf_counter() - start) * 1000
        while len(times) < a.steps and time.perf_counter() - start < a.time_cap:
            t = time.perf_counter()
            f()
            times.append((time.perf_counter() - t) * 1000)
        if not times:
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        return times[len(times) // 2], len(times)

    fwd, nf = timed(forward)
    stp, ns = timed(step)
    out = {'net': a.net, 'batch': a.batch, 'height': a.height, 'width': a.width, 'threads': a.threads,
           'forward_ms': round(fwd, 1), 'forward_runs': nf, 'step_ms': round(stp, 1), 'step_runs': ns,
           'torch': torch.__version__, 'device': a.device,
           'first_forward_ms': round(first['forward'], 1), 'first_step_ms': round(first['step'], 1)}
    if a.device == 'cuda':
        out['peak_bytes'] = torch.cuda.max_memory_allocated()
        out['gpu'] = torch.cuda.get_device_name()
    print(json.dumps(out))


if __name__ == '__main__':
    main()
