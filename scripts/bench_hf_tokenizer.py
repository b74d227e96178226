#!/usr/bin/env python3
"""Hugging Face `tokenizers` side of `transformer bench tokenizer`: the same corpus, vocabulary
size, pre-tokenization pipeline and thread count; prints one JSON line in the same shape.

Run by hand with the venv outside the repo, e.g.
    RAYON_NUM_THREADS=2 /work/venv/bin/python scripts/bench_hf_tokenizer.py --threads 2
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
    p.add_argument("--files", nargs="+", help="default: ../shared/data/multi30k/train.de and train.en next to the repo")
    p.add_argument("--vocab-size", type=int, default=8000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--pretokenizer", choices=["metaspace", "gpt2"], default="metaspace")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--tokenizer", help="encode with this tokenizer.json instead of training one (no training time)")
    a = p.parse_args()
    # Rayon reads this once, when the library first uses threads.
    os.environ["RAYON_NUM_THREADS"] = str(a.threads)
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    files = a.files or [os.path.normpath(os.path.join(REPO, "..", "shared", "data", "multi30k", f))
                        for f in ("train.de", "train.en")]
    missing = [f for f in files if not os.path.exists(f)]
    if missing:
        sys.exit(f"missing corpus file(s): {', '.join(missing)}; pass --files")

    def make():
        # The same pipeline `transformer tokenizer train` writes into tokenizer.json.
        t = Tokenizer(models.BPE(unk_token="<unk>"))
        if a.pretokenizer == "metaspace":
            t.normalizer = normalizers.Sequence([normalizers.Prepend(" ")])
            t.pre_tokenizer = pre_tokenizers.Sequence([
                pre_tokenizers.Split(" ", "merged_with_next"),
                pre_tokenizers.Punctuation("isolated"),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
            t.decoder = decoders.Sequence([decoders.ByteLevel(), decoders.Strip(" ", 1, 0)])
        else:
            t.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
            t.decoder = decoders.ByteLevel()
        return t

    train_times = []
    for _ in range(0 if a.tokenizer else a.repeats):
        t = make()
        trainer = trainers.BpeTrainer(vocab_size=a.vocab_size, min_frequency=2, show_progress=False,
                                      special_tokens=["<pad>", "<bos>", "<eos>", "<unk>"],
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
        start = time.perf_counter()
        t.train(files, trainer)
        train_times.append(time.perf_counter() - start)

    if a.tokenizer:
        t = Tokenizer.from_file(a.tokenizer)
    lines = []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            lines += fh.read().splitlines()
    encode_times, tokens = [], 0
    for _ in range(a.repeats):
        start = time.perf_counter()
        enc = t.encode_batch(lines, add_special_tokens=False)
        encode_times.append(time.perf_counter() - start)
        tokens = sum(len(e.ids) for e in enc)
    train = statistics.median(train_times) if train_times else None
    encode = statistics.median(encode_times)
    pipeline = f"{json.loads(t.to_str())['model']['type']} {os.path.basename(a.tokenizer)}" if a.tokenizer else a.pretokenizer
    print(json.dumps({"case": "tokenizer", "impl": "hf-tokenizers", "pretokenizer": pipeline,
                      "threads": a.threads, "vocab_size": t.get_vocab_size(), "sentences": len(lines),
                      "tokens": tokens, "train_s": train and round(train, 4), "encode_s": round(encode, 4),
                      "sentences_per_s": round(len(lines) / encode), "tokens_per_s": round(tokens / encode)}))


if __name__ == "__main__":
    main()
