#!/usr/bin/env python3
"""Peer side of `transformer bench tokenizer --tokenizer X`: encoding throughput of the
`sentencepiece` library (a `.model`, `encode(lines, num_threads=N)`), Hugging Face `tokenizers`
(a tokenizer.json, `encode_batch` on N Rayon threads) or transformers' MarianTokenizer (a
directory; Python, one line at a time) on the same corpus; prints one JSON line in the same shape.

Run by hand with the venv outside the repo, e.g. with the models scripts/sentencepiece_parity.py
trains:
    /work/venv/bin/python scripts/bench_spm_tokenizer.py --tokenizer /tmp/spm-multi30k/unigram.model
    /work/venv/bin/python scripts/bench_spm_tokenizer.py --tokenizer /tmp/spm-multi30k/unigram.json
"""
import argparse
import json
import os
import statistics
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tokenizer", required=True, help="a .model/.spm file, a tokenizer.json or a Marian directory")
    p.add_argument("--files", nargs="+", help="default: ../shared/data/multi30k/train.de and train.en next to the repo")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args()
    os.environ["RAYON_NUM_THREADS"] = str(a.threads)  # read once, when tokenizers first uses threads

    files = a.files or [os.path.normpath(os.path.join(REPO, "..", "shared", "data", "multi30k", f))
                        for f in ("train.de", "train.en")]
    missing = [f for f in files if not os.path.exists(f)]
    if missing:
        sys.exit(f"missing corpus file(s): {', '.join(missing)}; pass --files")
    lines = []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            lines += fh.read().splitlines()

    path = a.tokenizer
    if os.path.isdir(path):
        from transformers import MarianTokenizer
        mt = MarianTokenizer.from_pretrained(path)
        impl, encode = "transformers-marian", lambda: [mt.encode(l, add_special_tokens=False) for l in lines]
    elif path.endswith(".json"):
        from tokenizers import Tokenizer
        hf = Tokenizer.from_file(path)
        impl, encode = "hf-tokenizers", lambda: [e.ids for e in hf.encode_batch(lines, add_special_tokens=False)]
    else:
        import sentencepiece as spm
        sp = spm.SentencePieceProcessor(model_file=path)
        impl, encode = "sentencepiece", lambda: sp.encode(lines, num_threads=a.threads)

    times, tokens = [], 0
    for _ in range(a.repeats):
        start = time.perf_counter()
        ids = encode()
        times.append(time.perf_counter() - start)
        tokens = sum(len(i) for i in ids)
    t = statistics.median(times)
    print(json.dumps({"case": "tokenizer-encode", "impl": impl, "tokenizer": os.path.basename(path.rstrip("/")),
                      "threads": a.threads, "sentences": len(lines), "tokens": tokens, "encode_s": round(t, 4),
                      "sentences_per_s": round(len(lines) / t), "tokens_per_s": round(tokens / t)}))


if __name__ == "__main__":
    main()
