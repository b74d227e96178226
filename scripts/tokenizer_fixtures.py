#!/usr/bin/env python3
"""Writes the tokenizer parity fixtures and checks Hugging Face `tokenizers` against our CLI.

Run by hand after `swift build -c release`, with the venv outside the repo:
    /work/venv/bin/python scripts/tokenizer_fixtures.py

1. Trains small HF tokenizers (several pipelines) on Tests/TokenizationTests/Fixtures/corpus.txt
   and writes their tokenizer.json: our tests load them and must give HF's ids.
2. Trains our tokenizers with `transformer tokenizer train` on the same text; HF loads them.
3. Writes expected.json: for each tokenizer, HF's ids (plain and with special tokens) and
   decoded text for each tricky string in CASES.
4. Checks that our CLI's `encode` equals HF on every line-safe case and every corpus line,
   and, when ../shared/data/multi30k exists, on a tokenizer trained on its training text.
"""
import json
import os
import subprocess
import sys
import tempfile

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(REPO, "Tests", "TokenizationTests", "Fixtures")
CLI = os.path.join(REPO, ".build", "release", "transformer")
CORPUS = os.path.join(FIX, "corpus.txt")
SPECIALS = ["<pad>", "<bos>", "<eos>", "<unk>"]
GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"

CASES = [
    "", " ", "  ", "\t", "\n", "a", " a", "a ", "  a  b  ", "Hello, world!", "Hello,world!!",
    "It's they're we've I'm he'll she'd 'S 'LL o'clock '' 's", "Zwei junge weiße Männer sind im Freien.",
    "Größe Übermaß Straßenbahn", "東京は日本の首都です。", "北京和上海", "😀🎉👍🏽 👨‍👩‍👧", "e\u0301 a\u0308 n\u0303 é ä ñ",
    "ﬁne ﬂowers Ⅻ ｆｕｌｌｗｉｄｔｈ ½ ²", "tabs\tand\nnewlines\r\nhere", "\u00a0nbsp\u00a0 \u3000ideo\u3000 \u2028ls \u0085nel",
    "ctrl\x00\x01\x1b\x7f end", "▁ ▁x x▁ Ġ Ċ Ä", "\ufeffbom \ufffd \uffff \U0010ffff \ue000", "12345 3.14159 1,000,000 ٣٤٥",
    "Ελληνικά русский עברית العربية", "x" * 300, "word " * 60, "a-b_c--d...e!?¿¡«»„“", "  leading and trailing  ",
    "\u200b\u200czero\u200dwidth", "🏳️‍🌈 flags 🇩🇪🇬🇧", "ÅÅ ﬀ ǅ", "über-cool", "A man's dog isn't here.", "ΟΔΟΣ ΑΣ. Σ ΣΑ İstanbul ǅ",
]


def run(*args, stdin=None):
    r = subprocess.run([CLI, *args], input=stdin, capture_output=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(args)} failed: {r.stderr.decode()}")
    return r.stdout


def train_hf(name, vocab, normalizer=None, pre=None, decoder=None, post=None, model=None, byte_alphabet=True,
             byte_fallback_tokens=False, legacy_merges=False):
    t = Tokenizer(model or models.BPE(unk_token="<unk>"))
    if normalizer: t.normalizer = normalizer
    if pre: t.pre_tokenizer = pre
    if decoder: t.decoder = decoder
    tr = trainers.BpeTrainer(vocab_size=vocab, special_tokens=SPECIALS, show_progress=False,
                             initial_alphabet=pre_tokenizers.ByteLevel.alphabet() if byte_alphabet else [])
    t.train([CORPUS], tr)
    if post: t.post_processor = post
    doc = json.loads(t.to_str())
    if byte_fallback_tokens:
        # Llama-style byte tokens <0x00>..<0xFF> at the end of the vocabulary.
        v = doc["model"]["vocab"]
        for b in range(256):
            v.setdefault(f"<0x{b:02X}>", len(v))
    if legacy_merges:
        doc["model"]["merges"] = [" ".join(m) for m in doc["model"]["merges"]]
    path = os.path.join(FIX, name + ".json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
    return path


def template():
    return processors.TemplateProcessing(single="<bos> $A <eos>", pair="<bos> $A <eos> $B:1 <eos>:1",
                                         special_tokens=[("<bos>", 1), ("<eos>", 2)])


def main():
    if not os.path.exists(CLI):
        sys.exit(f"{CLI} not found: run `swift build -c release` first")
    paths = {
        "hf_gpt2": train_hf("hf_gpt2", 500, pre=pre_tokenizers.ByteLevel(add_prefix_space=False),
                            decoder=decoders.ByteLevel(), post=processors.ByteLevel(trim_offsets=True),
                            legacy_merges=True),
        "hf_gpt2_prefix_nfkc": train_hf("hf_gpt2_prefix_nfkc", 500, normalizer=normalizers.NFKC(),
                                        pre=pre_tokenizers.ByteLevel(add_prefix_space=True),
                                        decoder=decoders.ByteLevel(), post=template()),
        "hf_splits": train_hf("hf_splits", 450, pre=pre_tokenizers.Sequence([
            pre_tokenizers.Split(" ", "merged_with_previous"), pre_tokenizers.Punctuation("contiguous"),
            pre_tokenizers.Split("-", "removed"), pre_tokenizers.Split(Regex(GPT2), "isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]), decoder=decoders.ByteLevel()),
        "hf_metaspace_unk": train_hf("hf_metaspace_unk", 300, byte_alphabet=False,
                                     normalizer=normalizers.Sequence([normalizers.NFC(), normalizers.Lowercase()]),
                                     pre=pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always"),
                                     decoder=decoders.Metaspace(replacement="▁", prepend_scheme="always"),
                                     model=models.BPE(unk_token="<unk>", fuse_unk=True)),
        "hf_llama_style": train_hf("hf_llama_style", 300, byte_alphabet=False, byte_fallback_tokens=True,
                                   normalizer=normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")]),
                                   decoder=decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(),
                                                              decoders.Fuse(), decoders.Strip(" ", 1, 0)]),
                                   model=models.BPE(unk_token="<unk>", byte_fallback=True)),
        "hf_whitespace": train_hf("hf_whitespace", 300, byte_alphabet=False,
                                  pre=pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Whitespace()])),
    }
    for name, args in [("ours_metaspace", []), ("ours_gpt2_nfkc", ["--pretokenizer", "gpt2", "--nfkc"])]:
        path = os.path.join(FIX, name + ".json")
        run("tokenizer", "train", "--vocab-size", "500", "--min-frequency", "2", "--output", path, *args, CORPUS)
        paths[name] = path

    expected = {"cases": CASES, "tokenizers": {}}
    failures = 0
    corpus_lines = open(CORPUS, encoding="utf-8").read().splitlines()
    line_safe = [c for c in CASES if "\n" not in c and "\r" not in c and "\x85" not in c and "\u2028" not in c]
    for name, path in paths.items():
        hf = Tokenizer.from_file(path)
        plain = [hf.encode(c, add_special_tokens=False).ids for c in CASES]
        special = [hf.encode(c, add_special_tokens=True).ids for c in CASES]
        decoded = [hf.decode(ids) for ids in plain]
        expected["tokenizers"][name] = {"ids": plain, "ids_special": special, "decoded": decoded}
        # Our CLI on the same lines must agree with HF (lines cannot hold newlines).
        for label, lines in [("cases", line_safe), ("corpus", corpus_lines)]:
            ours = run("tokenizer", "encode", "--tokenizer", path, stdin=("\n".join(lines) + "\n").encode()).decode().split("\n")
            for line, got in zip(lines, ours):
                want = " ".join(map(str, hf.encode(line, add_special_tokens=False).ids))
                if got != want:
                    failures += 1
                    print(f"MISMATCH {name} {label}: {line!r}\n  hf:   {want}\n  ours: {got}")
        print(f"{name}: checked {len(line_safe)} cases and {len(corpus_lines)} corpus lines")
    with open(os.path.join(FIX, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, separators=(",", ":"))

    multi30k = os.path.normpath(os.path.join(REPO, "..", "shared", "data", "multi30k"))
    if os.path.exists(os.path.join(multi30k, "train.de")):
        files = [os.path.join(multi30k, f) for f in ("train.de", "train.en", "val.de", "val.en")]
        with tempfile.TemporaryDirectory() as tmp:
            for mode in ["metaspace", "gpt2"]:
                path = os.path.join(tmp, mode + ".json")
                run("tokenizer", "train", "--vocab-size", "8000", "--pretokenizer", mode, "--output", path, *files[:2])
                hf = Tokenizer.from_file(path)
                for f in files:
                    lines = open(f, encoding="utf-8").read().splitlines()
                    ours = run("tokenizer", "encode", "--tokenizer", path, "--input", f).decode().split("\n")
                    theirs = hf.encode_batch(lines, add_special_tokens=False)
                    bad = sum(o != " ".join(map(str, e.ids)) for o, e in zip(ours, theirs))
                    failures += bad
                    print(f"multi30k {mode} {os.path.basename(f)}: {len(lines)} lines, {bad} mismatches")
    total = sum(os.path.getsize(os.path.join(FIX, f)) for f in os.listdir(FIX))
    print(f"fixtures: {total / 1024:.0f} KiB; failures: {failures}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
