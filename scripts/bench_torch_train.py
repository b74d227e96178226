#!/usr/bin/env python3
"""PyTorch's training step on the shapes of `transformer bench train`, printing the same JSON.

Run by hand with a venv that has torch (never from tests or CI), e.g.:
    /work/venv/bin/python scripts/bench_torch_train.py --preset tiny small base --threads 2
Each (mode, preset, threads) runs in its own process, so environment switches take effect:
  default  PyTorch as installed
  tuned    PyTorch at its fastest here:
           - MKL forced onto its AVX-512 kernels with the LD_PRELOAD shim of mkl_shim.py (on an AMD
             CPU MKL otherwise keeps its AVX2 code whatever MKL_ENABLE_INSTRUCTIONS says).
           - glibc keeps big activation buffers instead of returning them to the OS and page-faulting
             them again every step: MALLOC_MMAP_MAX_=0 (a MALLOC_MMAP_THRESHOLD_ above 32 MB is
             silently ignored by glibc), MALLOC_TRIM_THRESHOLD_ and MALLOC_TOP_PAD_ raised.
           - Python's cyclic garbage collector frozen and disabled for the timed steps, and numpy's
             OpenBLAS limited to one thread (its idle pool otherwise competes for the 2 cores).
One step = forward, label-smoothed (0.1) cross-entropy over non-pad targets, backward, Adam
(β 0.9/0.98, ε 1e-9). Model: torch.nn.Transformer (Post-LN, ReLU, final norms, dropout 0.1,
batch_first), one embedding shared by source and target scaled by √d_model plus sinusoidal
positions and dropout, an untied output projection. Batch (L = 32): row i has length
L − (i mod (L/2 + 1)) on both sides, the rest padding under the key-padding masks; the decoder input is
the target shifted right behind <bos> under the causal mask; tokens/s counts non-pad target tokens.
--precision bf16 runs forward and loss under torch.autocast("cpu", dtype=torch.bfloat16) (mixed
precision as PyTorch users switch it on: bfloat16 matrix products through oneDNN, float32 weights,
Adam and the ops autocast keeps in float32; backward follows the forward's dtypes; no loss scaling).
Prints {"preset","precision","threads","tokens_per_s","step_ms","peak_rss_mb","mode"}: the median step after a warm-up.
"""
import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time

from mkl_shim import intel_cpu_shim

PRESETS = {  # d_model, heads, layers (each side), d_ff, vocab, batch
    "tiny": (128, 4, 2, 512, 8000, 64),
    "small": (256, 8, 3, 1024, 10000, 64),
    "base": (512, 8, 6, 2048, 32000, 32),
}
MODES = {
    "default": {},
    "tuned": {"MKL_ENABLE_INSTRUCTIONS": "AVX512", "MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(1 << 31),
              "MALLOC_TOP_PAD_": str(1 << 29), "OPENBLAS_NUM_THREADS": "1"},
}


LENGTH, PAD, BOS, EOS = 32, 0, 1, 2


def worker(preset, threads, steps, precision):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    d, h, n, ff, vocab, rows = PRESETS[preset]

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(vocab, d)
            self.transformer = nn.Transformer(d, h, n, n, ff, dropout=0.1, batch_first=True)
            self.generator = nn.Linear(d, vocab)
            self.dropout = nn.Dropout(0.1)
            pos = torch.arange(512).unsqueeze(1)
            div = torch.exp(torch.arange(0, d, 2) * (-math.log(10000.0) / d))
            pe = torch.zeros(512, d)
            pe[:, 0::2], pe[:, 1::2] = torch.sin(pos * div), torch.cos(pos * div)
            self.register_buffer("pe", pe)

        def embed(self, ids):
            return self.dropout(self.embedding(ids) * math.sqrt(d) + self.pe[: ids.shape[1]])

        def forward(self, src, tgt_in):
            src_pad, tgt_pad = src == PAD, tgt_in == PAD
            causal = torch.triu(torch.ones(tgt_in.shape[1], tgt_in.shape[1], dtype=torch.bool), diagonal=1)
            out = self.transformer(self.embed(src), self.embed(tgt_in), tgt_mask=causal, src_key_padding_mask=src_pad,
                                   tgt_key_padding_mask=tgt_pad, memory_key_padding_mask=src_pad)
            return self.generator(out)

    src = torch.full((rows, LENGTH), PAD)
    tgt_in = torch.full((rows, LENGTH), PAD)
    tgt_out = torch.full((rows, LENGTH), PAD)
    g = torch.Generator().manual_seed(1234)
    for i in range(rows):
        m = LENGTH - i % (LENGTH // 2 + 1)
        s = torch.randint(4, vocab, (m - 1,), generator=g)
        t = torch.randint(4, vocab, (m - 1,), generator=g)
        src[i, :m] = torch.cat([s, torch.tensor([EOS])])
        tgt_in[i, :m] = torch.cat([torch.tensor([BOS]), t])
        tgt_out[i, :m] = torch.cat([t, torch.tensor([EOS])])
    tokens = int((tgt_out != PAD).sum())

    if os.environ.get("BENCH_MODE") == "tuned":
        import gc
        gc.collect()
        gc.freeze()
        gc.disable()
    model = Model().train()
    adam = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-9)
    times = []
    for step in range(steps + 1):
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            logits = model(src, tgt_in)
            loss = F.cross_entropy(logits.reshape(-1, vocab), tgt_out.reshape(-1), ignore_index=PAD, label_smoothing=0.1)
        adam.zero_grad(set_to_none=True)
        loss.backward()
        adam.step()
        if step > 0:
            times.append(time.perf_counter() - start)
    ms = sorted(times)[len(times) // 2] * 1000
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"preset": preset, "precision": precision, "threads": threads, "tokens_per_s": round(tokens / (ms / 1000)), "step_ms": round(ms, 1),
            "peak_rss_mb": round(rss), "mode": os.environ.get("BENCH_MODE", "default")}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--preset", nargs="+", default=["tiny", "small", "base"], choices=sorted(PRESETS))
    p.add_argument("--threads", nargs="+", type=int, default=[2])
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--mode", nargs="+", default=["default", "tuned"], choices=sorted(MODES))
    p.add_argument("--precision", nargs="+", default=["f32"], choices=["f32", "bf16"])
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        print(json.dumps(worker(args.preset[0], args.threads[0], args.steps, args.precision[0])), flush=True)
        return
    shim = intel_cpu_shim() if "tuned" in args.mode else None
    for mode in args.mode:
        for preset in args.preset:
            for threads in args.threads:
                for precision in args.precision:
                    env = dict(os.environ, BENCH_MODE=mode, **MODES[mode])
                    if mode == "tuned":
                        env["LD_PRELOAD"] = shim
                    subprocess.run([sys.executable, __file__, "--worker", "--preset", preset, "--threads", str(threads),
                                    "--steps", str(args.steps), "--precision", precision], env=env, check=True)


if __name__ == "__main__":
    main()
