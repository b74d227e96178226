#!/usr/bin/env python3
"""Writes the SentencePiece / Unigram / Marian fixtures and checks our CLI against the peers.

Run by hand after `swift build -c release`, with the venv outside the repo:
    /work/venv/bin/python scripts/sentencepiece_fixtures.py

1. Trains small `.model` files with the `sentencepiece` library on the committed corpus
   (Tests/TokenizationTests/Fixtures/corpus.txt + spm/corpus_extra.txt): unigram with nmt_nfkc,
   nmt_nfkc_cf (user-defined and control symbols), identity + byte fallback without dummy prefix,
   whitespace as suffix, a denormalizer; BPE with byte fallback (Llama-style) and with <unk>;
   char and word models; and copies where a few pieces are marked UNUSED.
2. Builds a Marian-style directory (source.spm, target.spm, vocab.json, tokenizer_config.json,
   special_tokens_map.json) and checks that transformers' MarianTokenizer loads it.
3. Builds Unigram tokenizer.json files with `tokenizers` (Precompiled + Metaspace; byte fallback).
4. Writes spm/expected.json: for each tokenizer the peer's ids (plain and with special tokens),
   decodings, and decodings of random id sequences, for the hard strings in CASES.
5. Checks our CLI's `encode` against the peers on every line-safe case and every corpus line.
"""
import json
import os
import random
import shutil
import subprocess
import sys

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as pb
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(REPO, "Tests", "TokenizationTests", "Fixtures")
OUT = os.path.join(FIX, "spm")
CLI = os.path.join(REPO, ".build", "release", "transformer")
CORPORA = [os.path.join(FIX, "corpus.txt"), os.path.join(OUT, "corpus_extra.txt")]

LONG_WORD = "Donaudampfschifffahrtsgesellschaftskapitänsmütze" * 24
CASES = [
    "", " ", "  ", "\t", "\n", "a", " a", "a ", "  a  b  ", "Hello, world!", "Hello,world!!",
    "Zwei junge weiße Männer sind im Freien.", "Größe Übermaß Straßenbahn", "ÄÖÜ ÉÈÊ ÅØ Ñ Ç ẞ İ",
    "東京は日本の首都です。", "北京和上海", "서울은 대한민국의 수도입니다", "ｶﾀｶﾅ ひらがな カタカナ",
    "😀🎉👍🏽 👨‍👩‍👧", "👋🏿👋🏻 ❤️ 🇩🇪🇬🇧🇯🇵 🏳️‍🌈 🧑🏽‍💻", "e\u0301 a\u0308 n\u0303 é ä ñ", "A\u030a Å \u212b",
    "ﬁne ﬂowers Ⅻ ｆｕｌｌｗｉｄｔｈ ½ ²", "ＡＢＣ　１２３！", "tabs\tand\nnewlines\r\nhere", "a\t\tb  \t c",
    "\u00a0nbsp\u00a0 \u3000ideo\u3000 \u2028ls \u0085nel", "ctrl\x00\x01\x1b\x7f end", "\x00", "▁ ▁x x▁ Ġ",
    "\ufeffbom \ufffd \uffff \U0010ffff \ue000", "12345 3.14159 1,000,000 ٣٤٥ ¹²³",
    "Ελληνικά русский עברית العربية", "x" * 1200, LONG_WORD, "語" * 600, "word " * 60, "a-b_c--d...e!?¿¡«»„“",
    "   leading and trailing   ", "\u200b\u200czero\u200dwidth", "<sep> @@ <ctrl> Zwei", "Zwei<sep>Zwei",
    "New York", "A man's dog isn't here.", "ΟΔΟΣ Σ İstanbul ǅ", "\U0001d400\U0001d401 \U0001f600\ufe0f",
    "abc abc", "xy éé xyxy", "x▁y ▁▁ x▁▁y x y",
]
# Marian-only: a language code kept whole.
MARIAN_CASES = CASES + [">>de<< Hallo Welt", ">>xx<<", ">>no code"]


def run(*args, stdin=None):
    r = subprocess.run([CLI, *args], input=stdin, capture_output=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(args)} failed: {r.stderr.decode()}")
    return r.stdout


def train(name, **options):
    prefix = os.path.join(OUT, name)
    spm.SentencePieceTrainer.train(input=CORPORA, model_prefix=prefix, minloglevel=2, **options)
    os.remove(prefix + ".vocab")
    return prefix + ".model"


def mark_unused(src, name, pieces):
    """A copy of `src` whose `pieces` are UNUSED (spm skips them in unigram, undoes them in BPE)."""
    m = pb.ModelProto()
    m.ParseFromString(open(src, "rb").read())
    found = 0
    for p in m.pieces:
        if p.piece in pieces:
            p.type = pb.ModelProto.SentencePiece.UNUSED
            found += 1
    assert found == len(pieces), f"{name}: only {found} of {pieces} found"
    path = os.path.join(OUT, name + ".model")
    open(path, "wb").write(m.SerializeToString())
    return path


def frequent_merges(path, count):
    """The `count` best-scored normal pieces of 2–4 characters (merged pieces in BPE)."""
    m = pb.ModelProto()
    m.ParseFromString(open(path, "rb").read())
    normal = [p for p in m.pieces if p.type == pb.ModelProto.SentencePiece.NORMAL and 2 <= len(p.piece) <= 4]
    return [p.piece for p in sorted(normal, key=lambda p: -p.score)[:count]]


def probe_model():
    """A hand-made unigram model whose scores make float ties (\"abc\": a+bc vs ab+c) and pit
    user-defined pieces against their parts (\"xy\", \"éé\"): only spm's exact arithmetic passes."""
    import numpy as np
    f32, rng = np.float32, random.Random(5)
    while True:
        a, bc, ab = (f32(-rng.uniform(1, 5)) for _ in range(3))
        c = f32(f32(a + bc) - ab)
        if f32(ab + c) == f32(a + bc) and float(ab) + float(c) > float(a) + float(bc):
            break
    m = pb.ModelProto()
    pieces = [("<unk>", 0, 2), ("<s>", 0, 3), ("</s>", 0, 3), ("\u2581", -3, 1), ("a", a, 1), ("b", -20, 1), ("c", c, 1),
              ("ab", ab, 1), ("bc", bc, 1), ("x", 0.06, 1), ("y", 0.06, 1), ("xy", 0, 4), ("é", 0.16, 1), ("éé", 0, 4)]
    for piece, score, t in pieces:
        p = m.pieces.add()
        p.piece, p.score, p.type = piece, float(score), t
    m.trainer_spec.model_type = pb.TrainerSpec.UNIGRAM
    m.normalizer_spec.name = "identity"
    m.normalizer_spec.add_dummy_prefix = False  # "abc" must start at score 0 for the tie
    path = os.path.join(OUT, "unigram_probe.model")
    open(path, "wb").write(m.SerializeToString())
    return path


def random_ids(rng, vocab_size, n=40):
    return [[rng.randrange(vocab_size) for _ in range(rng.randrange(0, 16))] for _ in range(n)]


def build_models():
    tsv = os.path.join(OUT, "denormalization.tsv")
    with open(tsv, "w") as f:
        f.write("27\t2019\n")  # ' → ’ when decoding
    models_ = {
        "unigram_nmt": train("unigram_nmt", model_type="unigram", vocab_size=1000),
        "unigram_nfkc_cf": train("unigram_nfkc_cf", model_type="unigram", vocab_size=900, normalization_rule_name="nmt_nfkc_cf",
                                 user_defined_symbols=["<sep>", "@@", "Zwei", "東京", "😀"], control_symbols=["<ctrl>"]),
        "unigram_bytes": train("unigram_bytes", model_type="unigram", vocab_size=1000, normalization_rule_name="identity",
                               byte_fallback=True, add_dummy_prefix=False, remove_extra_whitespaces=False,
                               user_defined_symbols=["<sep>", "@@"]),
        "unigram_suffix": train("unigram_suffix", model_type="unigram", vocab_size=600, normalization_rule_name="identity",
                                treat_whitespace_as_suffix=True),
        "unigram_denorm": train("unigram_denorm", model_type="unigram", vocab_size=600, normalization_rule_name="identity",
                                denormalization_rule_tsv=tsv, unk_surface="<?>"),
        "bpe_bytes": train("bpe_bytes", model_type="bpe", vocab_size=1000, normalization_rule_name="identity",
                           byte_fallback=True, split_digits=True, add_dummy_prefix=True, remove_extra_whitespaces=False,
                           allow_whitespace_only_pieces=True, user_defined_symbols=["<sep>"]),
        # "x▁y" keeps merges from being split at word starts (a piece with ▁ inside).
        "bpe_unk": train("bpe_unk", model_type="bpe", vocab_size=800, normalization_rule_name="identity",
                         user_defined_symbols=["x\u2581y"]),
        "char_identity": train("char_identity", model_type="char", normalization_rule_name="identity",
                               user_defined_symbols=["<sep>"]),
        "word_identity": train("word_identity", model_type="word", vocab_size=600, normalization_rule_name="identity"),
    }
    os.remove(tsv)
    models_["unigram_probe"] = probe_model()
    models_["bpe_unused"] = mark_unused(models_["bpe_bytes"], "bpe_unused", frequent_merges(models_["bpe_bytes"], 12))
    models_["unigram_unused"] = mark_unused(models_["unigram_bytes"], "unigram_unused",
                                            frequent_merges(models_["unigram_bytes"], 12))
    return models_


def build_marian():
    """opus-mt layout: vocab.json = </s>, <unk>, the pieces of both sides, <pad> last."""
    d = os.path.join(OUT, "marian")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for name, opts in [("source", dict(vocab_size=700)), ("target", dict(vocab_size=500, normalization_rule_name="identity"))]:
        spm.SentencePieceTrainer.train(input=CORPORA, model_prefix=os.path.join(d, name), model_type="unigram",
                                       minloglevel=2, **opts)
        os.rename(os.path.join(d, name + ".model"), os.path.join(d, name + ".spm"))
        os.remove(os.path.join(d, name + ".vocab"))
    vocab = {"</s>": 0, "<unk>": 1}
    for name in ["source", "target"]:
        sp = spm.SentencePieceProcessor(model_file=os.path.join(d, name + ".spm"))
        for i in range(sp.get_piece_size()):
            p = sp.id_to_piece(i)
            if p not in vocab and p not in ("<s>",):
                vocab[p] = len(vocab)
    vocab[">>de<<"] = len(vocab)
    vocab["<pad>"] = len(vocab)
    json.dump(vocab, open(os.path.join(d, "vocab.json"), "w"), ensure_ascii=False, indent=1)
    json.dump({"source_lang": "de", "target_lang": "en", "separate_vocabs": False, "model_max_length": 512},
              open(os.path.join(d, "tokenizer_config.json"), "w"), indent=1)
    json.dump({"eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"},
              open(os.path.join(d, "special_tokens_map.json"), "w"), indent=1)
    return d


def unigram_vocab(path):
    m = pb.ModelProto()
    m.ParseFromString(open(path, "rb").read())
    return m, [(p.piece, p.score) for p in m.pieces]


def build_hf_unigram(models_):
    """Unigram tokenizer.json files, as `tokenizers` builds them from a spm vocabulary."""
    out = {}
    m, vocab = unigram_vocab(models_["unigram_nmt"])
    t = Tokenizer(models.Unigram(vocab, unk_id=0, byte_fallback=False))
    t.normalizer = normalizers.Precompiled(m.normalizer_spec.precompiled_charsmap)
    t.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    t.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    t.add_special_tokens(["<unk>", "<s>", "</s>"])
    t.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 2)])
    out["hf_unigram_nmt"] = t
    _, vocab = unigram_vocab(models_["unigram_bytes"])
    t = Tokenizer(models.Unigram(vocab, unk_id=0, byte_fallback=True))
    t.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="never", split=False)
    t.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
    out["hf_unigram_bytes"] = t
    paths = {}
    for name, t in out.items():
        paths[name] = os.path.join(OUT, name + ".json")
        t.save(paths[name])
    return paths


def main():
    if not os.path.exists(CLI):
        sys.exit(f"{CLI} not found: run `swift build -c release` first")
    os.makedirs(OUT, exist_ok=True)
    rng = random.Random(20240611)
    expected = {"cases": CASES, "marian_cases": MARIAN_CASES, "tokenizers": {}}
    checks = {}  # name -> (path, peer encode of one line)

    for name, path in build_models().items():
        sp = spm.SentencePieceProcessor(model_file=path)
        plain = [sp.encode(c) for c in CASES]
        special = [sp.encode(c, add_bos=sp.bos_id() >= 0, add_eos=sp.eos_id() >= 0) for c in CASES]
        id_seqs = random_ids(rng, sp.get_piece_size())
        expected["tokenizers"][name] = {
            "kind": "sentencepiece", "file": os.path.basename(path), "ids": plain, "ids_special": special,
            "decoded": [sp.decode(ids) for ids in plain], "decoded_special": [sp.decode(ids) for ids in special],
            "random_ids": id_seqs, "random_decoded": [sp.decode(ids) for ids in id_seqs]}
        checks[name] = (path, lambda line, sp=sp: sp.encode(line))

    for name, path in build_hf_unigram({n: os.path.join(OUT, n + ".model") for n in ["unigram_nmt", "unigram_bytes"]}).items():
        hf = Tokenizer.from_file(path)
        plain = [hf.encode(c, add_special_tokens=False).ids for c in CASES]
        special = [hf.encode(c, add_special_tokens=True).ids for c in CASES]
        id_seqs = random_ids(rng, hf.get_vocab_size())
        expected["tokenizers"][name] = {
            "kind": "tokenizer.json", "file": os.path.basename(path), "ids": plain, "ids_special": special,
            "decoded": [hf.decode(ids) for ids in plain], "decoded_special": [hf.decode(ids) for ids in special],
            "random_ids": id_seqs, "random_decoded": [hf.decode(ids) for ids in id_seqs]}
        checks[name] = (path, lambda line, hf=hf: hf.encode(line, add_special_tokens=False).ids)

    from transformers import MarianTokenizer
    d = build_marian()
    mt = MarianTokenizer.from_pretrained(d)
    plain = [mt.encode(c, add_special_tokens=False) for c in MARIAN_CASES]
    special = [mt.encode(c) for c in MARIAN_CASES]
    id_seqs = random_ids(rng, mt.vocab_size)
    expected["tokenizers"]["marian"] = {
        "kind": "marian", "file": "marian", "ids": plain, "ids_special": special,
        "decoded": [mt.decode(ids, skip_special_tokens=True) for ids in special],
        "decoded_special": [mt.decode(ids, skip_special_tokens=False) for ids in special],
        "random_ids": id_seqs, "random_decoded": [mt.decode(ids, skip_special_tokens=False) for ids in id_seqs]}
    checks["marian"] = (d, lambda line: mt.encode(line, add_special_tokens=False))

    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, separators=(",", ":"))

    failures = 0
    corpus_lines = [l for c in CORPORA for l in open(c, encoding="utf-8").read().splitlines()]
    line_safe = [c for c in MARIAN_CASES if not any(x in c for x in "\n\r\x85\u2028\u2029\x0b\x0c\x1c\x1d\x1e")]
    for name, (path, peer) in checks.items():
        lines = line_safe + corpus_lines
        ours = run("tokenizer", "encode", "--tokenizer", path, stdin=("\n".join(lines) + "\n").encode()).decode().split("\n")
        bad = 0
        for line, got in zip(lines, ours):
            want = " ".join(map(str, peer(line)))
            if got != want:
                bad += 1
                if bad <= 3:
                    print(f"MISMATCH {name}: {line[:80]!r}\n  peer: {want[:200]}\n  ours: {got[:200]}")
        failures += bad
        print(f"{name}: {len(lines)} lines, {bad} mismatches")
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(OUT) for f in fs)
    print(f"spm fixtures: {total / 1024:.0f} KiB; failures: {failures}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
