#!/usr/bin/env python3
"""PyTorch peer of `transformer bench ops`: the same memory-bound ops, shapes and JSON lines.

gb_per_s = bytes / ms / 1e6, with bytes = tensors the op must read plus those it must write, once
(cross_entropy: forward + backward read the logits and write their gradient once each).
Run by hand: /work/venv/bin/python scripts/bench_torch_ops.py [--rows R --cols C] [--threads T]
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

DEFAULT_SHAPES = [(256, 512), (2048, 512), (2048, 2048), (4096, 8000), (1024, 32000)]


def median_ms(body, repeats):
    body()
    body()
    times, spent = [], 0.0
    while len(times) < repeats or (spent < 300 and len(times) < 200):
        t0 = time.perf_counter()
        body()
        ms = (time.perf_counter() - t0) * 1e3
        times.append(ms)
        spent += ms
    return statistics.median(times)


def bench_shape(r, c, repeats):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(r, c, generator=g) * 2
    other = torch.randn(r, c, generator=g)
    gamma = torch.rand(c, generator=g) + 0.5
    beta = torch.randn(c, generator=g)
    n = r * c * 4

    def report(op, nbytes, body):
        ms = median_ms(body, repeats)
        print(json.dumps({"op": op, "rows": r, "cols": c, "threads": torch.get_num_threads(),
                          "ms": round(ms, 4), "gb_per_s": round(nbytes / ms / 1e6, 2)}, separators=(",", ":")),
              flush=True)

    dst = torch.empty_like(x)
    report("copy", 2 * n, lambda: dst.copy_(x))
    y = torch.softmax(x, -1)
    report("softmax", 2 * n, lambda: torch.softmax(x, -1))
    report("softmax_bwd", 3 * n, lambda: torch._softmax_backward_data(other, y, -1, torch.float32))
    report("log_softmax", 2 * n, lambda: torch.log_softmax(x, -1))
    report("layer_norm", 2 * n, lambda: F.layer_norm(x, (c,), gamma, beta, 1e-5))
    xl = x.clone().requires_grad_(True)
    gl = gamma.clone().requires_grad_(True)
    bl = beta.clone().requires_grad_(True)
    out = F.layer_norm(xl, (c,), gl, bl, 1e-5)
    report("layer_norm_bwd", 3 * n, lambda: torch.autograd.grad(out, (xl, gl, bl), other, retain_graph=True))
    report("rms_norm", 2 * n, lambda: F.rms_norm(x, (c,), gamma, 1e-6))
    if c >= 1000:
        targets = torch.randint(0, c, (r,), generator=g)
        xc = x.clone().requires_grad_(True)

        def ce():
            loss = F.cross_entropy(xc, targets, label_smoothing=0.1, ignore_index=-100)
            torch.autograd.grad(loss, xc)
        report("cross_entropy", 2 * n, ce)
    report("gelu", 2 * n, lambda: F.gelu(x))
    report("add", 3 * n, lambda: torch.add(x, other))
    report("mul", 3 * n, lambda: torch.mul(x, other))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int)
    p.add_argument("--cols", type=int)
    p.add_argument("--threads", type=int)
    p.add_argument("--repeats", type=int, default=7)
    a = p.parse_args()
    if (a.rows is None) != (a.cols is None):
        p.error("give --rows and --cols together")
    if a.rows is not None and (a.rows < 1 or a.cols < 1 or a.rows * a.cols > 1 << 28):
        p.error("--rows and --cols must be at least 1, with at most 2^28 elements")
    if a.threads is not None and not 1 <= a.threads <= 256:
        p.error("--threads must be in 1...256")
    if not 1 <= a.repeats <= 1000:
        p.error("--repeats must be in 1...1000")
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.set_grad_enabled(True)
    for r, c in ([(a.rows, a.cols)] if a.rows else DEFAULT_SHAPES):
        bench_shape(r, c, a.repeats)


if __name__ == "__main__":
    sys.exit(main())
