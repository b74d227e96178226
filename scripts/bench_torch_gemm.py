#!/usr/bin/env python3
"""PyTorch SGEMM throughput, measured the way `transformer bench gemm` measures ours.

Run by hand with a venv that has torch, e.g.:
    /work/venv/bin/python scripts/bench_torch_gemm.py --threads 1 2
Each (path, threads) runs in its own process so environment switches such as
MKL_ENABLE_INSTRUCTIONS take effect. Prints one JSON line per path, shape and thread count:
{"path":..., "m":..,"n":..,"k":..,"threads":..,"gflops":..} — the median of --repeats samples after
a warm-up; a sample repeats the product until it has run for at least 50 ms.

Paths (C = A·B with A m×k, B k×n, float32, row-major):
  mkl            torch.mm (MKL; picks AVX2 code on AMD CPUs)
  mkl-avx512     torch.mm with MKL forced onto its AVX-512 kernels (the LD_PRELOAD shim of
                 mkl_shim.py; MKL_ENABLE_INSTRUCTIONS=AVX512 alone does not do it on AMD CPUs)
  onednn         torch.ops.mkldnn._linear_pointwise(A, Bᵀ) on dense tensors (oneDNN packs B per call)
  onednn-packed  the same with B reordered once into oneDNN's blocked layout (pre-packed weights)
  onednn-tensors torch._C._nn.mkldnn_linear on A and Bᵀ converted once with to_mkldnn() (as
                 torch.utils.mkldnn.to_mkldnn modules run)
"""
import argparse
import json
import os
import subprocess
import sys
import time

from mkl_shim import intel_cpu_shim

SHAPES = [(512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048),
          (4096, 512, 2048), (4096, 2048, 512), (4096, 512, 512)]
PATHS = {"mkl": {}, "mkl-avx512": {"MKL_ENABLE_INSTRUCTIONS": "AVX512"}, "onednn": {}, "onednn-packed": {},
         "onednn-tensors": {}}


def measure(fn, repeats):
    fn()
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    calls = max(1, int(0.05 / once))
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls)
    samples.sort()
    return samples[len(samples) // 2]


def worker(path, threads, shapes, repeats):
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    for m, n, k in shapes:
        a = torch.rand(m, k) * 2 - 1
        b = torch.rand(k, n) * 2 - 1
        with torch.no_grad():
            if path.startswith("mkl"):
                out = torch.empty(m, n)
                fn = lambda: torch.mm(a, b, out=out)
            else:
                w = b.t().contiguous()  # linear computes x·wᵀ
                if path == "onednn-packed":
                    w = torch.ops.mkldnn._reorder_linear_weight(w, m)
                if path == "onednn-tensors":
                    x, w = a.to_mkldnn(), w.to_mkldnn()
                    fn = lambda: torch._C._nn.mkldnn_linear(x, w, None)
                else:
                    fn = lambda: torch.ops.mkldnn._linear_pointwise(a, w, None, "none", [], "")
            reference = a.double() @ b.double()
            error = (fn().to_dense().double() - reference).abs().max().item()
            assert error < 1e-3 * k, f"{path} gives wrong results ({error})"
            seconds = measure(fn, repeats)
        print(json.dumps({"path": path, "m": m, "n": n, "k": k, "threads": threads,
                          "gflops": round(2 * m * n * k / seconds / 1e9, 1)}), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--paths", nargs="+", choices=list(PATHS), default=list(PATHS))
    parser.add_argument("--shape", type=int, nargs=3, metavar=("M", "N", "K"), help="one shape instead of the default six")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--worker", nargs=2, metavar=("PATH", "THREADS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if min(args.threads) < 1 or args.repeats < 1 or (args.shape and min(args.shape) < 1):
        parser.error("threads, repeats and sizes must be positive")
    shapes = [tuple(args.shape)] if args.shape else SHAPES
    if args.worker:
        worker(args.worker[0], int(args.worker[1]), shapes, args.repeats)
        return
    shim = intel_cpu_shim() if "mkl-avx512" in args.paths else None
    for path in args.paths:
        for threads in args.threads:
            env = dict(os.environ, **PATHS[path], OMP_NUM_THREADS=str(threads))
            if path == "mkl-avx512":
                env["LD_PRELOAD"] = shim
            command = [sys.executable, __file__, "--worker", path, str(threads), "--repeats", str(args.repeats)]
            if args.shape:
                command += ["--shape", *map(str, args.shape)]
            subprocess.run(command, env=env, check=True)


if __name__ == "__main__":
    main()
