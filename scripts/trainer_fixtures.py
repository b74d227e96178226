#!/usr/bin/env python3
"""Writes the fixtures of the WordPiece and Unigram trainers and checks them with Hugging Face
`tokenizers`.

Run by hand after `swift build -c release`, with the venv outside the repo:
    /work/venv/bin/python scripts/trainer_fixtures.py

1. Trains ours with `transformer tokenizer train --model wordpiece|unigram` on
   Tests/TokenizationTests/Fixtures/corpus.txt and writes ours_wordpiece.json and
   ours_unigram.json (our tests retrain and must reproduce them).
2. Loads both with `tokenizers` and writes trained_expected.json: HF's ids (plain and with
   special tokens) and decoded text for each string of tokenizer_fixtures.CASES and the first
   corpus lines, for a parity test once our pipeline encodes these models.
3. Prints how our vocabularies compare with those of HF's WordPieceTrainer / UnigramTrainer
   and sentencepiece on the same corpus.
"""
import json
import os
import subprocess
import sys
import tempfile

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tokenizer_fixtures import CASES  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(REPO, "Tests", "TokenizationTests", "Fixtures")
CLI = os.path.join(REPO, ".build", "release", "transformer")
CORPUS = os.path.join(FIX, "corpus.txt")
SIZES = {"wordpiece": 500, "unigram": 300}


def train_ours(model):
    path = os.path.join(FIX, f"ours_{model}.json")
    r = subprocess.run([CLI, "tokenizer", "train", "--model", model, "--vocab-size", str(SIZES[model]),
                        "--output", path, CORPUS], capture_output=True)
    if r.returncode != 0:
        sys.exit(f"training {model} failed: {r.stderr.decode()}")
    return path


def main():
    lines = open(CORPUS, encoding="utf-8").read().split("\n")[:40]
    texts = CASES + lines
    expected = {"cases": texts, "tokenizers": {}}
    loaded = {}
    for model in SIZES:
        tok = Tokenizer.from_file(train_ours(model))
        loaded[model] = tok
        plain = tok.encode_batch(texts, add_special_tokens=False)
        special = tok.encode_batch(texts, add_special_tokens=True)
        expected["tokenizers"][f"ours_{model}"] = {
            "ids": [e.ids for e in plain], "ids_special": [e.ids for e in special],
            "decoded": [tok.decode(e.ids) for e in plain]}
    with open(os.path.join(FIX, "trained_expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")

    # Our vocabularies against the peers' on the same corpus.
    hf = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    hf.normalizer = normalizers.BertNormalizer(lowercase=True)
    hf.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    hf.train([CORPUS], trainers.WordPieceTrainer(vocab_size=SIZES["wordpiece"], min_frequency=2, limit_alphabet=1000,
                                                 show_progress=False,
                                                 special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]))
    ours, theirs = set(loaded["wordpiece"].get_vocab()), set(hf.get_vocab())
    print(f"wordpiece: {len(ours)} tokens, {len(ours & theirs)} shared with HF's WordPieceTrainer ({len(theirs)})")
    same = sum(a.tokens == b.tokens for a, b in zip(loaded["wordpiece"].encode_batch(lines, add_special_tokens=False),
                                                     hf.encode_batch(lines, add_special_tokens=False)))
    print(f"wordpiece: {same}/{len(lines)} corpus lines tokenized alike")

    hf = Tokenizer(models.Unigram())
    hf.normalizer = normalizers.Sequence([normalizers.Nmt(), normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    hf.pre_tokenizer = pre_tokenizers.Metaspace()
    hf.decoder = decoders.Metaspace()
    hf.train([CORPUS], trainers.UnigramTrainer(vocab_size=SIZES["unigram"], show_progress=False,
                                               special_tokens=["<pad>", "<bos>", "<eos>", "<unk>"], unk_token="<unk>"))
    ours, theirs = set(loaded["unigram"].get_vocab()), set(hf.get_vocab())
    print(f"unigram: {len(ours)} pieces, {len(ours & theirs)} shared with HF's UnigramTrainer ({len(theirs)})")
    all_lines = open(CORPUS, encoding="utf-8").read().split("\n")
    for name, tok in (("ours", loaded["unigram"]), ("hf", hf)):
        n = sum(len(e.ids) for e in tok.encode_batch(all_lines, add_special_tokens=False))
        print(f"unigram: {name} {n / len(all_lines):.3f} pieces per corpus line")


if __name__ == "__main__":
    main()
