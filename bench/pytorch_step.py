"""PyTorch reference timings for bench/engine.bench.ts: forward and one SGD training step.

Usage: /usr/bin/python3 bench/pytorch_step.py --net demo|resnet101 --height H --width W --batch N
       [--classes C] [--threads 2] [--steps K] [--time-cap S] [--device cpu|cuda] [--gpu-json FILE]
Prints one JSON line: {"forward_times_ms": [...], "step_times_ms": [...], "torch": version, ...}: every timed
repetition after one untimed warm-up, so the caller computes min and median over alternating runs.
With --device cuda every timing waits for the GPU (torch.cuda.synchronize), the first (warm-up) call is
reported too (cuDNN's algorithm search happens there), and --gpu-json writes the result in the GPU
benchmark's format (bench/gpu/gpu-bench.ts) with the peak memory torch.cuda allocated during a step.
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
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--gpu-json', default='')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(1337)
    dev = torch.device(a.device)
    cuda = dev.type == 'cuda'
    if cuda:
        torch.backends.cudnn.benchmark = True
    net = Net(dict(CONFIGS[a.net], classes=a.classes)).to(dev)
    x = torch.rand(a.batch, 3, a.height, a.width).to(dev)
    y = torch.randint(0, a.classes, (a.batch, a.height, a.width)).to(dev)
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

    def sync():
        if cuda:
            torch.cuda.synchronize()

    first = {}

    def timed(f):
        times = []
        start = time.perf_counter()
        f()  # warm-up
        sync()
        first[f.__name__] = (time.perf_counter() - start) * 1000
        while len(times) < a.steps and time.perf_counter() - start < a.time_cap:
            t = time.perf_counter()
            f()
            sync()
            times.append((time.perf_counter() - t) * 1000)
        return [round(t, 2) for t in times]

    fwd = timed(forward)
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    stp = timed(step)
    if a.gpu_json:
        def st(ts):
            s = sorted(ts)
            n = len(s)
            return {'min': s[0], 'median': s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2, 'n': n} if n else None
        name = torch.cuda.get_device_name(dev) if cuda else 'CPU'
        res = {'tool': f'PyTorch {torch.__version__}', 'device': name, 'net': a.net, 'batch': a.batch, 'height': a.height,
               'width': a.width, 'firstForwardMs': first['forward'], 'forward': st(fwd), 'firstStepMs': first['step'],
               'step': st(stp)}
        if cuda:
            res['peakBytes'] = torch.cuda.max_memory_allocated(dev)
            res['memoryNote'] = 'torch.cuda.max_memory_allocated during the steps (cudnn.benchmark on)'
        with open(a.gpu_json, 'w') as fh:
            json.dump([res], fh)
    print(json.dumps({'net': a.net, 'batch': a.batch, 'height': a.height, 'width': a.width, 'threads': a.threads,
                      'forward_times_ms': fwd, 'step_times_ms': stp, 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
