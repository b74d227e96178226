#!/usr/bin/env python3
"""By-hand parity of our SentencePiece, Unigram tokenizer.json and Marian tokenizers with their
peers on every line of Multi30k train and val, both languages (not run by CI).

    swift build -c release
    /work/venv/bin/python scripts/sentencepiece_parity.py [--work /tmp/spm-multi30k]

Trains, outside the repository (in --work): an 8,000-piece unigram `.model` (nmt_nfkc) and an
8,000-piece BPE `.model` (identity, byte fallback, Llama-style) on train.de + train.en; a Unigram
tokenizer.json built by `tokenizers` from the unigram model (Precompiled + Metaspace); a Marian
directory (a unigram of up to 8,000 pieces per language and a joint vocab.json). Then for each of
train.de, train.en, val.de, val.en it compares our `transformer tokenizer encode` with the peer's
ids (sentencepiece / tokenizers / MarianTokenizer), and our `decode` of the peer's ids with the
peer's decoding, and prints the mismatch counts. The work directory also serves
scripts/bench_spm_tokenizer.py.
"""
import argparse
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(REPO, ".build", "release", "transformer")
FILES = ["train.de", "train.en", "val.de", "val.en"]


def run(*args):
    r = subprocess.run([CLI, *args], capture_output=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(args)} failed: {r.stderr.decode()}")
    return r.stdout.decode("utf-8")


def prepare(work, data):
    """Trains the models once; later runs reuse them."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2 as pb
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers
    os.makedirs(work, exist_ok=True)
    train = [os.path.join(data, f) for f in ("train.de", "train.en")]
    paths = {"unigram": os.path.join(work, "unigram.model"), "bpe": os.path.join(work, "bpe.model"),
             "hf_unigram": os.path.join(work, "unigram.json"), "marian": os.path.join(work, "marian")}
    common = dict(input=train, vocab_size=8000, minloglevel=2, num_threads=2)
    if not os.path.exists(paths["unigram"]):
        spm.SentencePieceTrainer.train(model_prefix=paths["unigram"][:-6], model_type="unigram", **common)
    if not os.path.exists(paths["bpe"]):
        spm.SentencePieceTrainer.train(model_prefix=paths["bpe"][:-6], model_type="bpe", normalization_rule_name="identity",
                                       byte_fallback=True, split_digits=True, remove_extra_whitespaces=False,
                                       allow_whitespace_only_pieces=True, **common)
    if not os.path.exists(paths["hf_unigram"]):
        m = pb.ModelProto()
        m.ParseFromString(open(paths["unigram"], "rb").read())
        t = Tokenizer(models.Unigram([(p.piece, p.score) for p in m.pieces], unk_id=0, byte_fallback=False))
        t.normalizer = normalizers.Precompiled(m.normalizer_spec.precompiled_charsmap)
        t.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
        t.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
        t.save(paths["hf_unigram"])
    d = paths["marian"]
    if not os.path.exists(os.path.join(d, "vocab.json")):
        os.makedirs(d, exist_ok=True)
        for side, f in [("source", "train.de"), ("target", "train.en")]:
            spm.SentencePieceTrainer.train(input=os.path.join(data, f), model_prefix=os.path.join(d, side), model_type="unigram",
                                           vocab_size=8000, hard_vocab_limit=False, minloglevel=2, num_threads=2)
            os.rename(os.path.join(d, side + ".model"), os.path.join(d, side + ".spm"))
        vocab = {"</s>": 0, "<unk>": 1}
        for side in ["source", "target"]:
            sp = spm.SentencePieceProcessor(model_file=os.path.join(d, side + ".spm"))
            for i in range(sp.get_piece_size()):
                if sp.id_to_piece(i) not in vocab and sp.id_to_piece(i) != "<s>":
                    vocab[sp.id_to_piece(i)] = len(vocab)
        vocab["<pad>"] = len(vocab)
        json.dump(vocab, open(os.path.join(d, "vocab.json"), "w"), ensure_ascii=False)
        json.dump({"source_lang": "de", "target_lang": "en"}, open(os.path.join(d, "tokenizer_config.json"), "w"))
    return paths


def peers(paths):
    """For each tokenizer: (encode a list of lines, decode a list of id lists)."""
    import sentencepiece as spm
    from tokenizers import Tokenizer
    from transformers import MarianTokenizer
    out = {}
    for name in ["unigram", "bpe"]:
        sp = spm.SentencePieceProcessor(model_file=paths[name])
        out[name] = (lambda lines, sp=sp: sp.encode(lines, num_threads=2), lambda ids, sp=sp: sp.decode(ids))
    hf = Tokenizer.from_file(paths["hf_unigram"])
    out["hf_unigram"] = (lambda lines: [e.ids for e in hf.encode_batch(lines, add_special_tokens=False)],
                         lambda ids: hf.decode_batch(ids))
    mt = MarianTokenizer.from_pretrained(paths["marian"])
    out["marian"] = (lambda lines: [mt.encode(l, add_special_tokens=False) for l in lines],
                     lambda ids: [mt.decode(i, skip_special_tokens=True) for i in ids])
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", default="/tmp/spm-multi30k")
    p.add_argument("--data", default=os.path.normpath(os.path.join(REPO, "..", "shared", "data", "multi30k")))
    a = p.parse_args()
    if not os.path.exists(CLI):
        sys.exit(f"{CLI} not found: run `swift build -c release` first")
    paths = prepare(a.work, a.data)
    total = 0
    for name, (encode, decode) in peers(paths).items():
        for f in FILES:
            path = os.path.join(a.data, f)
            lines = open(path, encoding="utf-8").read().splitlines()
            want = encode(lines)
            ours = run("tokenizer", "encode", "--tokenizer", paths[name], "--input", path).split("\n")
            bad_ids = sum(o != " ".join(map(str, w)) for o, w in zip(ours, want))
            ids_file = os.path.join(a.work, "ids.txt")
            with open(ids_file, "w") as fh:
                fh.write("".join(" ".join(map(str, w)) + "\n" for w in want))
            decoded = run("tokenizer", "decode", "--tokenizer", paths[name], "--input", ids_file).split("\n")
            bad_text = sum(o != w for o, w in zip(decoded, decode(want)))
            total += bad_ids + bad_text
            print(f"{name:10} {f:9} {len(lines):6} lines: {bad_ids} id mismatches, {bad_text} decoding mismatches", flush=True)
    print(f"total mismatches: {total}")
    sys.exit(1 if total else 0)


if __name__ == "__main__":
    main()
