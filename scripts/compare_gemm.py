#!/usr/bin/env python3
"""Our SGEMM and PyTorch's fastest paths, alternated round by round, for a noisy shared machine.

Run by hand with a venv that has torch, after `swift build -c release`:
    /work/venv/bin/python scripts/compare_gemm.py --threads 1 2 --rounds 5
Each round runs `transformer bench gemm` once, then `bench_torch_gemm.py` once per torch path, for
every shape and thread count, so slow drifts in the machine's load hit all of them alike. Prints,
per shape and thread count, each contender's median and maximum GFLOP/s over the rounds and the
ratio of our median to the best torch median.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = [(4096, 512, 2048), (4096, 2048, 512)]


def ours(binary, shape, threads, repeats):
    m, n, k = shape
    out = subprocess.run([binary, "bench", "gemm", "--m", str(m), "--n", str(n), "--k", str(k),
                          "--threads", str(threads), "--repeats", str(repeats)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["gflops"]


def torch(path, shape, threads, repeats):
    out = subprocess.run([sys.executable, os.path.join(HERE, "bench_torch_gemm.py"), "--paths", path,
                          "--shape", *map(str, shape), "--threads", str(threads), "--repeats", str(repeats)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["gflops"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(HERE, "..", ".build", "release", "transformer"))
    parser.add_argument("--shape", type=int, nargs=3, action="append", metavar=("M", "N", "K"),
                        help="a shape (repeatable); default: the two target shapes of the SGEMM issue")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--paths", nargs="+", default=["mkl-avx512", "onednn-packed"])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=7, help="timed samples per run (each run reports their median)")
    args = parser.parse_args()
    if args.rounds < 1 or args.repeats < 1 or min(args.threads) < 1:
        parser.error("rounds, repeats and threads must be positive")
    if not os.path.exists(args.binary):
        parser.error(f"{args.binary} not found: run `swift build -c release` first")
    shapes = [tuple(s) for s in args.shape] if args.shape else TARGETS
    for threads in args.threads:
        for shape in shapes:
            results = {name: [] for name in ["ours", *args.paths]}
            for _ in range(args.rounds):
                results["ours"].append(ours(args.binary, shape, threads, args.repeats))
                for path in args.paths:
                    results[path].append(torch(path, shape, threads, args.repeats))
            medians = {name: statistics.median(v) for name, v in results.items()}
            best = max(medians[p] for p in args.paths)
            m, n, k = shape
            print(json.dumps({"m": m, "n": n, "k": k, "threads": threads, "rounds": args.rounds,
                              **{f"{name}_median": round(medians[name], 1) for name in results},
                              **{f"{name}_max": max(v) for name, v in results.items()},
                              "ours_over_best_torch": round(medians["ours"] / best, 3)}), flush=True)


if __name__ == "__main__":
    main()
