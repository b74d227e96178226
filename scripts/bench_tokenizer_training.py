#!/usr/bin/env python3
"""WordPiece and Unigram training time against their peers, in alternating runs of the same
session: `transformer tokenizer train --model wordpiece|unigram` (its own "training X s"
figure: reading, counting, learning) against Hugging Face `tokenizers`' WordPieceTrainer and
UnigramTrainer (RAYON_NUM_THREADS=THREADS) and `sentencepiece`'s SentencePieceTrainer
(num_threads=THREADS, model_type unigram), all on the same files and vocabulary size, each
peer with the pipeline its BERT / SentencePieceUnigramTokenizer implementation uses. Prints one
JSON line per model with every run and the medians, then vocabulary quality on the validation
files: our tokenizer.json loaded by `tokenizers`, pieces per line against the peers', unknown
tokens, and vocabulary overlap.

Run by hand after `swift build -c release`, with the venv outside the repo, e.g.
    /work/venv/bin/python scripts/bench_tokenizer_training.py --threads 2 --repeats 5
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.normpath(os.path.join(REPO, "..", "shared", "data", "multi30k"))
SPECIALS = {"wordpiece": ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], "unigram": ["<pad>", "<bos>", "<eos>", "<unk>"]}


def ours(binary, model, files, vocab_size, threads, out):
    cmd = [binary, "tokenizer", "train", "--model", model, "--vocab-size", str(vocab_size), "--threads", str(threads),
           "--output", out] + files
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stderr}")
    m = re.search(r"training ([0-9.]+) s", r.stderr)
    return float(m.group(1))


def hf_wordpiece(files, vocab_size):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    t = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    t.normalizer = normalizers.BertNormalizer(lowercase=True)
    t.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    t.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, min_frequency=2, limit_alphabet=1000,
                                        show_progress=False, special_tokens=SPECIALS["wordpiece"])
    start = time.perf_counter()
    t.train(files, trainer)
    return time.perf_counter() - start, t


def hf_unigram(files, vocab_size):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    t = Tokenizer(models.Unigram())
    t.normalizer = normalizers.Sequence([normalizers.Nmt(), normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    t.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    t.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    trainer = trainers.UnigramTrainer(vocab_size=vocab_size, show_progress=False, special_tokens=SPECIALS["unigram"],
                                      unk_token="<unk>")
    start = time.perf_counter()
    t.train(files, trainer)
    return time.perf_counter() - start, t


def spm_unigram(files, vocab_size, threads, prefix):
    import sentencepiece as spm
    start = time.perf_counter()
    spm.SentencePieceTrainer.train(input=",".join(files), model_prefix=prefix, vocab_size=vocab_size,
                                   model_type="unigram", num_threads=threads, minloglevel=2)
    return time.perf_counter() - start


def summary(times):
    return {k: {"runs": [round(x, 3) for x in v], "median_s": round(statistics.median(v), 3)} for k, v in times.items()}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--files", nargs="+", default=[os.path.join(DATA, f) for f in ("train.de", "train.en")])
    p.add_argument("--val", nargs="+", default=[os.path.join(DATA, f) for f in ("val.de", "val.en")])
    p.add_argument("--vocab-size", type=int, default=8000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--models", nargs="+", choices=["wordpiece", "unigram"], default=["wordpiece", "unigram"])
    p.add_argument("--transformer", default=os.path.join(REPO, ".build", "release", "transformer"))
    a = p.parse_args()
    # Rayon reads this once, when the library first uses threads.
    os.environ["RAYON_NUM_THREADS"] = str(a.threads)
    from tokenizers import Tokenizer
    import sentencepiece as spm

    for f in a.files + a.val + [a.transformer]:
        if not os.path.exists(f):
            sys.exit(f"missing {f}")
    work = tempfile.mkdtemp(prefix="bench-tok-train-")
    val = [line.rstrip("\n") for f in a.val for line in open(f, encoding="utf-8")]
    for model in a.models:
        out = os.path.join(work, f"ours_{model}.json")
        times = {"swift": [], "hf-tokenizers": []} if model == "wordpiece" else {"swift": [], "hf-tokenizers": [], "sentencepiece": []}
        for _ in range(a.repeats):
            times["swift"].append(ours(a.transformer, model, a.files, a.vocab_size, a.threads, out))
            if model == "wordpiece":
                seconds, hf = hf_wordpiece(a.files, a.vocab_size)
            else:
                seconds, hf = hf_unigram(a.files, a.vocab_size)
            times["hf-tokenizers"].append(seconds)
            if model == "unigram":
                times["sentencepiece"].append(spm_unigram(a.files, a.vocab_size, a.threads, os.path.join(work, "spm")))
        result = {"case": "tokenizer-train", "model": model, "threads": a.threads, "vocab_size": a.vocab_size,
                  "files": [os.path.basename(f) for f in a.files], "times": summary(times)}
        mine = statistics.median(times["swift"])
        result["ratio_swift_to"] = {k: round(mine / statistics.median(v), 3) for k, v in times.items() if k != "swift"}
        print(json.dumps(result), flush=True)

        # Quality on the validation lines: our file as `tokenizers` loads it, against the peers.
        loaded = Tokenizer.from_file(out)
        unk = SPECIALS[model][1] if model == "wordpiece" else "<unk>"
        quality = {"case": "tokenizer-quality", "model": model, "val_lines": len(val)}
        for name, tok in (("swift", loaded), ("hf-tokenizers", hf)):
            enc = tok.encode_batch(val, add_special_tokens=False)
            again = tok.encode_batch(val, add_special_tokens=False)
            quality[name] = {"pieces_per_line": round(sum(len(e.ids) for e in enc) / len(val), 3),
                             "unknown": sum(e.ids.count(tok.token_to_id(unk)) for e in enc),
                             "deterministic": [e.ids for e in enc] == [e.ids for e in again]}
        ours_vocab, hf_vocab = set(loaded.get_vocab()), set(hf.get_vocab())
        quality["overlap_swift_hf"] = len(ours_vocab & hf_vocab)
        if model == "wordpiece":
            ours_tokens = [e.tokens for e in loaded.encode_batch(val, add_special_tokens=False)]
            hf_tokens = [e.tokens for e in hf.encode_batch(val, add_special_tokens=False)]
            quality["same_tokens_as_hf_lines"] = sum(x == y for x, y in zip(ours_tokens, hf_tokens))
        else:
            sp = spm.SentencePieceProcessor(model_file=os.path.join(work, "spm.model"))
            spm_vocab = {sp.id_to_piece(i) for i in range(sp.get_piece_size()) if not sp.is_control(i) and not sp.is_unknown(i)}
            ids = sp.encode(val)
            quality["sentencepiece"] = {"pieces_per_line": round(sum(len(x) for x in ids) / len(val), 3),
                                        "unknown": sum(x.count(sp.unk_id()) for x in ids)}
            ours_pieces = ours_vocab - set(SPECIALS["unigram"])
            hf_pieces = hf_vocab - set(SPECIALS["unigram"])
            quality["pieces"] = {"swift": len(ours_pieces), "hf-tokenizers": len(hf_pieces), "sentencepiece": len(spm_vocab)}
            quality["overlap_swift_sentencepiece"] = len(ours_pieces & spm_vocab)
            quality["overlap_hf_sentencepiece"] = len(hf_pieces & spm_vocab)
            quality["overlap_swift_hf"] = len(ours_pieces & hf_pieces)
        print(json.dumps(quality), flush=True)


if __name__ == "__main__":
    main()
