"""PyTorch reference timings for bench/engine.bench.ts: forward and one SGD training step.

Usage: /usr/bin/python3 bench/pytorch_step.py --net demo|resnet101 --height H --width W --batch N
       [--classes C] [--threads 2] [--steps K] [--time-cap S]
Prints one JSON line: {"forward_times_ms": [...], "step_times_ms": [...], "torch": version, ...}: every timed
repetition after one untimed warm-up, so the caller computes min and median over alternating runs.
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
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(1337)
    net = Net(dict(CONFIGS[a.net], classes=a.classes))
    x = torch.rand(a.batch, 3, a.height, a.width)
    y = torch.randint(0, a.classes, (a.batch, a.height, a.width))
    opt = torch.optim.SGD(net.parameters(), lr=1e-4, momentum=0.9, weight_decay=2e-4)

    def forward():
        net.eval()
        with torch.no_grad():
            net(x)

    def step():
        net.train()
        opt.zero_grad()
        _, logits = net(x)
        up = F.interpolate(logits, size=(a.height, a.width), mode='bilinear', align_corners=True)
        F.cross_entropy(up, y, ignore_index=250).backward()
        opt.step()

    def timed(f):
        times = []
        start = time.perf_counter()
        f()  # warm-up
        while len(times) < a.steps and time.perf_counter() - start < a.time_cap:
            t = time.perf_counter()
            f()
            times.append((time.perf_counter() - t) * 1000)
        return [round(t, 2) for t in times]

    fwd = timed(forward)
    stp = timed(step)
    print(json.dumps({'net': a.net, 'batch': a.batch, 'height': a.height, 'width': a.width, 'threads': a.threads,
                      'forward_times_ms': fwd, 'step_times_ms': stp, 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
