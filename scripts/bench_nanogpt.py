#!/usr/bin/env python3
"""Runs nanoGPT's own train.py on the shapes of `transformer bench lm` and reports its speed, or
its loss after a full run, for the side-by-side figures of docs/PERFORMANCE.md and docs/RESULTS.md.

Run by hand (never from tests or CI) against a nanoGPT checkout outside this repository whose
data/shakespeare_char has been prepared (its prepare.py writes train.bin, val.bin, meta.pkl), e.g.:
    /work/venv/bin/python scripts/bench_nanogpt.py --nanogpt /tmp/nanogpt --preset cpu --iters 300
    /work/venv/bin/python scripts/bench_nanogpt.py --nanogpt /tmp/nanogpt --preset cpu --iters 27000 --full
Presets (nanoGPT's command-line overrides of config/train_shakespeare_char.py):
  cpu      the README's CPU run: 4 layers, d 128, 4 heads, block 64, batch 12, dropout 0
  default  the config as it is: 6 layers, d 384, 6 heads, block 256, batch 64, dropout 0.2
Mode "tuned" (default) is PyTorch at its best here, as scripts/bench_torch_train.py sets it up:
MKL on its AVX-512 path (mkl_shim.py), glibc keeping freed activation memory. The speed is the
median of nanoGPT's own per-iteration times (log_interval 1; the first five and those that evaluate left out),
as characters per second = batch · block / time. `--precision bf16` runs train.py with its
forward under torch.autocast("cpu", bfloat16), PyTorch's mixed precision (nanoGPT itself autocasts
only on CUDA: on a CPU its `ctx` is a nullcontext, so the line is replaced as the file is read; the
checkout is not changed). With --full, the run evaluates every 1000
iterations on 200 batches, as nanoGPT's config does, and the last validation loss is reported.
Prints one JSON line.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys

from mkl_shim import intel_cpu_shim

# Runs train.py as `python train.py ARGS` would, with its CPU context made bf16 autocast.
AUTOCAST_RUNNER = """
import sys, torch
source = open("train.py").read()
line = "ctx = nullcontext() if device_type == 'cpu' else"
if line not in source:
    sys.exit("bench_nanogpt.py: train.py has no line starting " + repr(line))
source = source.replace(line, "ctx = torch.amp.autocast(device_type='cpu', dtype=torch.bfloat16) if device_type == 'cpu' else")
exec(compile(source, "train.py", "exec"), {"__name__": "__main__", "__file__": "train.py"})
"""

PRESETS = {  # layers, heads, d, block, batch, dropout
    "cpu": (4, 4, 128, 64, 12, 0.0),
    "default": (6, 6, 384, 256, 64, 0.2),
}
TUNED = {"MKL_ENABLE_INSTRUCTIONS": "AVX512", "MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(1 << 31),
         "MALLOC_TOP_PAD_": str(1 << 29), "OPENBLAS_NUM_THREADS": "1"}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--nanogpt", required=True, help="nanoGPT checkout with data/shakespeare_char prepared")
    p.add_argument("--preset", choices=PRESETS, default="cpu")
    p.add_argument("--iters", type=int, default=300)
    p.add_argument("--mode", choices=["tuned", "default"], default="tuned")
    p.add_argument("--precision", choices=["f32", "bf16"], default="f32", help="bf16: the forward under CPU autocast")
    p.add_argument("--full", action="store_true", help="a full run: cosine to --iters, validation on 200 batches")
    p.add_argument("--out-dir", default="/tmp/nanogpt-out")
    args = p.parse_args()
    layers, heads, d, block, batch, dropout = PRESETS[args.preset]
    eval_interval = 1000 if args.full else args.iters + 1
    program = ["-c", AUTOCAST_RUNNER] if args.precision == "bf16" else ["train.py"]
    command = [sys.executable, *program, "config/train_shakespeare_char.py", "--device=cpu", "--compile=False",
               f"--out_dir={args.out_dir}", f"--n_layer={layers}", f"--n_head={heads}", f"--n_embd={d}",
               f"--block_size={block}", f"--batch_size={batch}", f"--dropout={dropout}", f"--max_iters={args.iters}",
               f"--lr_decay_iters={args.iters}", f"--eval_interval={eval_interval}",
               f"--eval_iters={200 if args.full else 1}", f"--log_interval={1 if not args.full else 100}",
               "--always_save_checkpoint=False"]
    if args.precision == "bf16":
        command.append("--dtype=bfloat16")  # also keeps train.py's float16 GradScaler off
    env = dict(os.environ)
    if args.mode == "tuned":
        env.update(TUNED)
        env["LD_PRELOAD"] = intel_cpu_shim()
    out = subprocess.run(command, cwd=args.nanogpt, env=env, check=True, capture_output=True, text=True).stdout
    times = [float(m.group(2)) for m in re.finditer(r"^iter (\d+): loss [\d.]+, time ([\d.]+)ms", out, re.M)
             if int(m.group(1)) >= 5 and int(m.group(1)) % eval_interval != 0]
    result = {"preset": args.preset, "mode": args.mode, "precision": args.precision, "iters": args.iters, "threads": int(os.environ.get("OMP_NUM_THREADS", "0")) or None}
    if times:
        ms = statistics.median(times)
        result.update({"step_ms": round(ms, 2), "chars_per_s": round(batch * block / (ms / 1000))})
    evals = re.findall(r"^step (\d+): train loss ([\d.]+), val loss ([\d.]+)", out, re.M)
    if evals:
        result.update({"step": int(evals[-1][0]), "train_loss": float(evals[-1][1]), "val_loss": float(evals[-1][2])})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
