#!/usr/bin/env python3
"""Fixtures for reading Hugging Face tokenizers: what `tokenizers` 0.23 does, written down for
the Swift tests (Tests/TokenizationTests/Fixtures/hf/). No hub access: every tokenizer is
trained here on Tests/TokenizationTests/Fixtures/corpus.txt.

Run by hand with the venv outside the repo:
    /work/venv/bin/python scripts/hf_tokenizer_fixtures.py
    /work/venv/bin/python scripts/hf_tokenizer_fixtures.py --multi30k [--save-dir DIR]   # by-hand parity run

Writes
  hf/*.json           tokenizer.json of BERT (cased, uncased), RoBERTa, GPT-2, Llama-3, Llama-2,
                      WordLevel, every-split and added-token tokenizers; hf/bert_dir/ a hub directory
  hf/expected.json    their ids, pair ids and type ids, and decodings of the hard strings
  hf/components.json  normalizers, pre-tokenizers and decoders alone, with their outputs
  hf/regex.json       real-world Split patterns and the matches Oniguruma (via tokenizers) finds

--multi30k trains a WordPiece and a Llama-3-regex BPE tokenizer on ../shared/data/multi30k
train (both languages) and counts lines of train and val where `transformer tokenizer encode`
differs from `tokenizers` (needs `swift build -c release`).
"""
import json
import os
import subprocess
import sys
import tempfile

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(REPO, "Tests", "TokenizationTests", "Fixtures")
OUT = os.path.join(FIX, "hf")
CORPUS = os.path.join(FIX, "corpus.txt")
CLI = os.path.join(REPO, ".build", "release", "transformer")

GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
PATTERNS = [
    GPT2, LLAMA3,
    # Qwen2, and its variant with marks
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
    # GPT-4o (o200k)
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
    r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
    r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+",
    # DeepSeek-V3's three splits
    r"\p{N}{1,3}", r"[一-龥\u3040-ゟ゠-ヿ]+",
    r"[!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
    # DeepSeek LLM
    r"[\r\n]", r"\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽḀ-ἕＡ-Ｚａ-ｚ𐐀-𐑏]+",
    r"\s?[!-/:-~！-／：-～‘-‟　-。]+", r"\s+$", r"[一-龥ࠀ-一가-퟿]+", r"\p{N}+",
    # Bloom, Falcon digits, normalizer replacements (Barthez, Pegasus, SeamlessM4T)
    r" ?[^(\s|[.,!?…。，、।۔،])]+", r"[0-9][0-9][0-9]", r"\s{2,}|[\n\r\t]", r" {2,}", r"^▁+$", r" +▁", r"\n",
    # syntax coverage
    r"\w+|[^\w\s]+", r"(?<=.)", r"(?<!a)b", r"\bwor\w*\b", r"a*?b", r"(?:ab)+?c", r"[[:alpha:]]+", r"x{2,3}", r"(?>a+)b", r"a++",
    r"(?i)eIN|Ü", r"\x{1F600}|\u00e9", r"[^\p{Han}\p{Hiragana}\p{Katakana}\s]+", r"(a|ab)(c|bcd)(d*)", r"(?:a|b)*c",
    r"(a*)*b", r"(a|)+", r"^\s+|\s+$", r"\A\s+|\s+\z", r".+", r"[\u4e00-\u9fff]+", r"\p{P}+", r"\p{S}+", r"\p{Z}", r"(?!\s)\S+",
    r"\d+(?:[.,]\d+)*", r"[\p{Lu}][\p{Ll}]+", r"\p{Hangul}+", r"[^\x00-\x7F]+", r"\h+", r"\p{^L}+", r"\P{N}+", r"\s*[\r\n]+|\s+(?!\S)",
]

CASES = [
    "", " ", "  ", "\t", "\n", "a", " a", "a ", "  a  b  ", "Hello, world!", "Hello,world!!",
    "It's they're we've I'm he'll she'd 'S 'LL o'clock '' 's IT'S", "Zwei junge weiße Männer sind im Freien.",
    "Größe Übermaß Straßenbahn ÉCOLE Ångström Ñandú", "東京は日本の首都です。", "北京和上海", "서울은 한국의 수도입니다",
    "カタカナ ひらがな 漢字", "😀🎉👍🏽 👨‍👩‍👧 🏳️‍🌈 🇩🇪🇬🇧", "e\u0301 a\u0308 n\u0303 é ä ñ \u0915\u094d\u0937",
    "ﬁne ﬂowers Ⅻ ｆｕｌｌｗｉｄｔｈ ½ ²", "tabs\tand\nnewlines\r\nhere", "a  \t  b\t\t\tc    d", "\u00a0nbsp\u00a0 \u3000ideo\u3000 \u2028ls \u0085nel",
    "ctrl\x00\x01\x1b\x7f end\u200b\ufeff", "▁ ▁x x▁ Ġ Ċ Ä", "\ufffd \uffff \U0010ffff \ue000", "12345 3.14159 1,000,000 ٣٤٥ ¹²³ 2024-01-01",
    "Ελληνικά русский עברית العربية", "x" * 300, "Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichen" * 3,
    "word " * 40, "a-b_c--d...e!?¿¡«»„“", "  leading and trailing  ", "ÅÅ ﬀ ǅ ΟΔΟΣ ΑΣ. Σ İstanbul", "A man's dog isn't here.",
    "don't do not can't won't", "<s>Hello</s> <mask> [CLS] [SEP] [UNK] <|endoftext|>",
]
ADDED_CASES = [
    "<s>Hello</s>", "a <mask>  b", "a<mask>b", "cat category tomcat cat.", "Hello World! HELLO WORLD", "x[DAY]y [DAY] [day]",
    "[R]   after", "  <|x|>  around  <|x|>", "<s><s></s>", "concat cat", "helloworld hello world", "<|x|><mask>",
]
PAIRS = [["A man sits.", "Ein Mann sitzt."], ["", "b"], ["Hello, world!", ""], ["東京", "über 3 Boote"]]


def train(model, trainer, normalizer=None, pre=None, post=None, decoder=None):
    t = Tokenizer(model)
    if normalizer: t.normalizer = normalizer
    if pre: t.pre_tokenizer = pre
    if decoder: t.decoder = decoder
    t.train([CORPUS], trainer)
    if post: t.post_processor = post
    return t


def bert(lowercase, processor):
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    t = train(models.WordPiece(unk_token="[UNK]"), trainers.WordPieceTrainer(vocab_size=500, special_tokens=specials, show_progress=False),
              normalizer=normalizers.BertNormalizer(lowercase=lowercase), pre=pre_tokenizers.BertPreTokenizer(),
              decoder=decoders.WordPiece())
    cls, sep = t.token_to_id("[CLS]"), t.token_to_id("[SEP]")
    t.post_processor = processor(cls, sep)
    return t


def bpe_trainer(vocab, specials, byte_level=True):
    return trainers.BpeTrainer(vocab_size=vocab, special_tokens=specials, show_progress=False,
                               initial_alphabet=pre_tokenizers.ByteLevel.alphabet() if byte_level else [])


def tokenizers_to_build():
    out = {}
    out["bert_uncased"] = bert(True, lambda c, s: processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", c), ("[SEP]", s)]))
    out["bert_cased"] = bert(False, lambda c, s: processors.BertProcessing(("[SEP]", s), ("[CLS]", c)))

    t = train(models.BPE(), bpe_trainer(600, ["<s>", "<pad>", "</s>", "<unk>"]),
              pre=pre_tokenizers.ByteLevel(add_prefix_space=False), decoder=decoders.ByteLevel())
    t.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True)])
    t.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0), trim_offsets=True, add_prefix_space=False)
    out["roberta"] = t

    t = train(models.BPE(), bpe_trainer(500, ["<|endoftext|>"]), pre=pre_tokenizers.ByteLevel(add_prefix_space=False),
              decoder=decoders.ByteLevel(), post=processors.ByteLevel(trim_offsets=True))
    out["gpt2"] = t

    t = train(models.BPE(ignore_merges=True), bpe_trainer(600, ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"]),
              pre=pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(LLAMA3), "isolated"),
                                           pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]),
              decoder=decoders.ByteLevel())
    t.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|>:1 $B:1",
                                      special_tokens=[("<|begin_of_text|>", 0)])])
    out["llama3"] = t

    t = train(models.BPE(unk_token="<unk>", byte_fallback=True), bpe_trainer(400, ["<unk>", "<s>", "</s>"], byte_level=False),
              pre=pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False),
              decoder=decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]))
    doc = json.loads(t.to_str())
    for b in range(256):
        doc["model"]["vocab"].setdefault(f"<0x{b:02X}>", len(doc["model"]["vocab"]))
    t = Tokenizer.from_str(json.dumps(doc))
    t.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s>:1 $B:1", special_tokens=[("<s>", 1)])
    out["llama2"] = t

    t = train(models.WordLevel(unk_token="<unk>"), trainers.WordLevelTrainer(vocab_size=300, special_tokens=["<unk>", "<pad>"], show_progress=False),
              normalizer=normalizers.Sequence([normalizers.NFKC(), normalizers.Strip(), normalizers.Replace(Regex(r"\s{2,}"), " ")]),
              pre=pre_tokenizers.Whitespace())
    out["wordlevel"] = t

    t = train(models.BPE(unk_token="<unk>"), bpe_trainer(500, ["<unk>"]), pre=pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=False), pre_tokenizers.Split(Regex(r"[aeiou]"), "merged_with_previous"),
        pre_tokenizers.Split(Regex(r"\s+"), "removed"), pre_tokenizers.Punctuation("contiguous"),
        pre_tokenizers.Split(Regex(r"[rst]+"), "merged_with_next"), pre_tokenizers.Split(Regex(r"[A-Z]"), "contiguous", invert=True),
        pre_tokenizers.Digits(individual_digits=True), pre_tokenizers.Split(Regex(r"(?=n)"), "isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]), decoder=decoders.ByteLevel())
    out["splits"] = t

    t = train(models.BPE(unk_token="<unk>"), bpe_trainer(500, ["<unk>"]), normalizer=normalizers.Lowercase(),
              pre=pre_tokenizers.Metaspace(), decoder=decoders.Metaspace())
    t.add_special_tokens([AddedToken("<s>", special=True, normalized=False), AddedToken("</s>", special=True, normalized=False),
                          AddedToken("<mask>", special=True, lstrip=True, normalized=False),
                          AddedToken("<|x|>", special=True, lstrip=True, rstrip=True, normalized=False)])
    t.add_tokens([AddedToken("[DAY]", normalized=False), AddedToken("Hello World", normalized=True),
                  AddedToken("[R]", rstrip=True, normalized=False), AddedToken("cat", single_word=True, normalized=True)])
    out["added"] = t
    return out


def write(name, obj):
    with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, separators=(",", ":"))


def components():
    """Each normalizer, pre-tokenizer and decoder alone on the hard strings (or token lists)."""
    ns = [normalizers.BertNormalizer(), normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False),
          normalizers.BertNormalizer(lowercase=False), normalizers.StripAccents(), normalizers.Sequence([normalizers.NFD(), normalizers.StripAccents()]),
          normalizers.Strip(), normalizers.Strip(left=True, right=False), normalizers.Strip(left=False, right=True), normalizers.Lowercase(),
          normalizers.NFKC(), normalizers.Replace(Regex(r" {2,}"), "▁"), normalizers.Replace(Regex(r"\s{2,}|[\n\r\t]"), " "),
          normalizers.Replace(Regex(r"(?=a)"), "_"), normalizers.Prepend("▁")]
    ps = [pre_tokenizers.BertPreTokenizer(), pre_tokenizers.Whitespace(), pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Digits(True),
          pre_tokenizers.Digits(False), pre_tokenizers.Punctuation("isolated"), pre_tokenizers.Punctuation("removed"),
          pre_tokenizers.Punctuation("merged_with_previous"), pre_tokenizers.Punctuation("merged_with_next"), pre_tokenizers.Punctuation("contiguous"),
          pre_tokenizers.Metaspace(prepend_scheme="always"), pre_tokenizers.Metaspace(prepend_scheme="first"),
          pre_tokenizers.Metaspace(prepend_scheme="never"), pre_tokenizers.Metaspace(prepend_scheme="first", split=False),
          pre_tokenizers.Metaspace(prepend_scheme="always", split=False), pre_tokenizers.ByteLevel(add_prefix_space=True),
          pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False), pre_tokenizers.CharDelimiterSplit("a"),
          pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Metaspace(prepend_scheme="first")]),
          pre_tokenizers.Sequence([pre_tokenizers.Punctuation("contiguous"), pre_tokenizers.ByteLevel(add_prefix_space=False),
                                   pre_tokenizers.Digits(False), pre_tokenizers.Split(Regex("[0-9][0-9][0-9]"), "isolated")])]
    for b in ["removed", "isolated", "merged_with_previous", "merged_with_next", "contiguous"]:
        for invert in [False, True]:
            ps.append(pre_tokenizers.Split(Regex(r"\s+|\p{P}"), b, invert=invert))
            ps.append(pre_tokenizers.Split(" ", b, invert=invert))
    ds = [decoders.WordPiece(), decoders.WordPiece(cleanup=False), decoders.Metaspace(prepend_scheme="always"),
          decoders.Metaspace(prepend_scheme="never"), decoders.Metaspace(prepend_scheme="first"), decoders.ByteLevel(), decoders.ByteFallback(),
          decoders.Fuse(), decoders.Strip(" ", 1, 1), decoders.Replace("▁", " "), decoders.Replace(Regex(r"\s+"), "_"),
          decoders.BPEDecoder(), decoders.CTC(), decoders.Sequence([decoders.ByteFallback(), decoders.Fuse()])]
    token_lists = [["hello", "##world", "##s", ".", "don", "'", "t", "do", "not"], ["▁Hello", "▁wor", "ld", "▁", "!"],
                   ["<0xE6>", "<0x97>", "<0xA5>", "x", "<0xFF>", "<0x41>"], ["ĠHello", "Ġworld", "Ċ", "Ã©"],
                   ["a</w>", "bc", "d</w>"], ["<pad>", "h", "h", "e", "|", "l", "l", "<pad>", "l", "o", "|", "|"], [" a ", "b  c", " "], []]
    out = []
    for kind, items in [("normalizer", ns), ("pre_tokenizer", ps), ("decoder", ds)]:
        for c in items:
            t = Tokenizer(models.WordLevel({"[UNK]": 0}, unk_token="[UNK]"))
            setattr(t, kind, c)
            doc = json.loads(t.to_str())
            if kind == "normalizer":
                outputs = [c.normalize_str(s) for s in CASES]
            elif kind == "pre_tokenizer":
                outputs = [[p for p, _ in c.pre_tokenize_str(s)] for s in CASES]
            else:
                outputs = [decode_or_none(c, ts) for ts in token_lists]
            out.append({"kind": kind, "tokenizer": doc, "outputs": outputs})
    return {"cases": CASES, "token_lists": token_lists, "components": out}


def decode_or_none(decoder, tokens):
    # BPEDecoder panics on an empty list (tokenizers 0.23); such entries are null.
    try:
        return decoder.decode(tokens)
    except BaseException:
        return None


def regex_fixture():
    strings = CASES + ADDED_CASES + open(CORPUS, encoding="utf-8").read().splitlines()[:60] + [
        "aaab", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaac", "abcd", "abbcd", "ab ab  ab\n\nab", "▁▁▁", "a ▁b  ▁c", "Straße STRASSE strasse", "x\r\n\r\n  y \n z",
        "Hello\n\n\nworld   \n  end", "wor world sword worded", "   ", "The 1234567 quick, brown fox; jumps!", "ÀÖØöøƺ µ Ｆｕｌｌ ＡＢＣ"]
    matches = []
    for pat in PATTERNS:
        split = pre_tokenizers.Split(Regex(pat), "removed", invert=True)
        matches.append([[p for p, _ in split.pre_tokenize_str(s)] for s in strings])
    return {"patterns": PATTERNS, "strings": strings, "matches": matches}


def expected(toks):
    cases = CASES + ADDED_CASES
    res = {"cases": cases, "pairs": PAIRS, "tokenizers": {}}
    for name, t in toks.items():
        plain = [t.encode(c, add_special_tokens=False).ids for c in cases]
        special = [t.encode(c, add_special_tokens=True).ids for c in cases]
        pairs = [t.encode(a, b, add_special_tokens=True) for a, b in PAIRS]
        pairs_plain = [t.encode(a, b, add_special_tokens=False) for a, b in PAIRS]
        res["tokenizers"][name] = {
            "ids": plain, "ids_special": special, "decoded": [t.decode(i) for i in special],
            "decoded_keep": [t.decode(i, skip_special_tokens=False) for i in special],
            "pair_ids": [e.ids for e in pairs], "pair_type_ids": [e.type_ids for e in pairs],
            "pair_ids_plain": [e.ids for e in pairs_plain], "pair_type_ids_plain": [e.type_ids for e in pairs_plain]}
    return res


def hub_directory(t):
    """A model directory as transformers saves one (tokenizer.json + configs)."""
    from transformers import PreTrainedTokenizerFast
    fast = PreTrainedTokenizerFast(tokenizer_object=t, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]")
    d = os.path.join(OUT, "bert_dir")
    fast.save_pretrained(d)
    with open(os.path.join(d, "special_tokens_map.json"), "w") as f:
        json.dump({"unk_token": "[UNK]", "pad_token": "[PAD]", "cls_token": {"content": "[CLS]", "lstrip": False},
                   "sep_token": "[SEP]", "mask_token": "[MASK]"}, f)
    return d


def cli(*args, stdin=None):
    r = subprocess.run([CLI, *args], input=stdin, capture_output=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(args)} failed: {r.stderr.decode()}")
    return r.stdout


def multi30k():
    data = os.path.normpath(os.path.join(REPO, "..", "shared", "data", "multi30k"))
    files = [os.path.join(data, f) for f in ("train.de", "train.en", "val.de", "val.en")]
    with tempfile.TemporaryDirectory() as tmp:
        wp = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        wp.normalizer = normalizers.BertNormalizer(lowercase=True)
        wp.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        wp.decoder = decoders.WordPiece()
        wp.train(files[:2], trainers.WordPieceTrainer(vocab_size=8000, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]))
        l3 = Tokenizer(models.BPE(ignore_merges=True))
        l3.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(LLAMA3), "isolated"),
                                                    pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
        l3.decoder = decoders.ByteLevel()
        l3.train(files[:2], bpe_trainer(8000, ["<|begin_of_text|>", "<|end_of_text|>"]))
        total = 0
        save = sys.argv[sys.argv.index("--save-dir") + 1] if "--save-dir" in sys.argv else tmp
        os.makedirs(save, exist_ok=True)
        for name, t in [("wordpiece", wp), ("llama3-regex-bpe", l3)]:
            path = os.path.join(save, name + ".json")
            t.save(path)
            for f in files:
                lines = open(f, encoding="utf-8").read().splitlines()
                ours = cli("tokenizer", "encode", "--tokenizer", path, "--input", f).decode().split("\n")
                theirs = t.encode_batch(lines, add_special_tokens=False)
                bad = sum(o != " ".join(map(str, e.ids)) for o, e in zip(ours, theirs))
                dec = sum(t.decode(e.ids) != d for e, d in zip(theirs, cli("tokenizer", "decode", "--tokenizer", path, stdin=(
                    "\n".join(" ".join(map(str, e.ids)) for e in theirs) + "\n").encode()).decode().split("\n")))
                total += bad + dec
                print(f"multi30k {name} {os.path.basename(f)}: {len(lines)} lines, {bad} id mismatches, {dec} decoding mismatches")
    sys.exit(1 if total else 0)


def main():
    if "--multi30k" in sys.argv:
        return multi30k()
    os.makedirs(OUT, exist_ok=True)
    toks = tokenizers_to_build()
    for name, t in toks.items():
        t.save(os.path.join(OUT, name + ".json"))
    hub_directory(toks["bert_uncased"])
    write("expected.json", expected(toks))
    write("components.json", components())
    write("regex.json", regex_fixture())
    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {OUT}: {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
