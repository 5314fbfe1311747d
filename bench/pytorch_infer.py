#!/usr/bin/python3
"""PyTorch contender of bench/inference.bench.ts: eval-mode forward of the reference network, logits
upsampled (bilinear, align_corners) to the input size and argmax, as ProDA's validation does.

Usage: /usr/bin/python3 bench/pytorch_infer.py --net demo|resnet101 --height H --width W --threads T [--reps K]
One warm-up, then K timed runs. Prints one JSON line: {"ms": [...], "threads": T, "torch": version}.
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_step import CONFIGS  # noqa: E402
from nets_reference import Net  # noqa: E402  (pytorch_step put fixtures/parity on the path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--net', choices=CONFIGS, required=True)
    ap.add_argument('--height', type=int, required=True)
    ap.add_argument('--width', type=int, required=True)
    ap.add_argument('--classes', type=int, default=19)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--reps', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1337)
    net = Net(dict(CONFIGS[a.net], classes=a.classes)).eval()
    x = torch.rand(1, 3, a.height, a.width)

    def predict():
        with torch.no_grad():
            _, logits = net(x)
            F.interpolate(logits, size=(a.height, a.width), mode='bilinear', align_corners=True).argmax(1)

    predict()  # warm-up
    times = []
    for _ in range(a.reps):
        t = time.perf_counter()
        predict()
        times.append((time.perf_counter() - t) * 1000)
    print(json.dumps({'ms': [round(v, 1) for v in times], 'threads': a.threads, 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
