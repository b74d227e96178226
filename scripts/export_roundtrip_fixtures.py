#!/usr/bin/env python3
"""Writes small models of ours, exports each with our CLI, and records what Hugging Face
transformers (or torch.nn.Transformer) computes with the export, for the export round-trip tests
(run by hand, never by CI; build first with `swift build -c release`):

    /work/venv/bin/python scripts/export_roundtrip_fixtures.py

For each case it writes Tests/ParityTests/Fixtures/export/<case>/:
  config.json, weights.safetensors, tokenizer.json   a model directory of ours, random weights
                                                      under our parameter names
  expected.safetensors
    metadata: format (hf or pytorch), architecture, fnv1a64.<file> for every exported file (the
      test exports again and must write the same bytes), text.<i> and target.<i>
    input_ids, attention_mask [B, T] (1 = token) of TEXTS[:2], decoder_input_ids (Marian: the start
      token, then TARGETS[:2]), logits [B, T, V] (or hidden [B, T, d] for a bare BertModel), as
      transformers computes them on the export;
    tokens.<i> / target.<i>: AutoTokenizer's ids for TEXTS[i] / TARGETS[i] (text_target=)
The tokenizer is a small character BPE trained here with `tokenizers`.
"""
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.join(HERE, "..")
ROOT = os.path.join(REPO, "Tests", "ParityTests", "Fixtures", "export")
BINARY = os.path.join(REPO, ".build", "release", "transformer")
sys.path.insert(0, HERE)
from pytorch_parity_fixtures import Seq2Seq  # noqa: E402  the reference layout's model

CORPUS = ["ein hund läuft über die wiese", "zwei kleine katzen spielen im schnee", "a dog runs across the meadow",
          "two small cats play in the snow", "der mann trägt einen roten hut", "the man wears a red hat"]
TEXTS = ["zwei hunde im schnee", "ein mann", "the cats play"]
TARGETS = ["two dogs in the snow", "a man", "die katzen"]


def tokenizer_json(vocab):
    t = Tokenizer(models.BPE(unk_token="<unk>"))
    t.pre_tokenizer = pre_tokenizers.Metaspace()
    t.decoder = decoders.Metaspace()
    t.train_from_iterator(CORPUS, trainers.BpeTrainer(vocab_size=vocab, special_tokens=["<pad>", "<bos>", "<eos>", "<unk>"],
                                                      show_progress=False))
    return t.to_str(pretty=True)


def fnv1a64(path):
    h = 0xCBF29CE484222325
    with open(path, "rb") as f:
        for b in f.read():
            h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def our_parameters(c):
    """Our parameter names and shapes for config `c` (the Swift module tree's property paths)."""
    d, ff, fam = c["d_model"], c["ff"], c["family"]
    heads = c["heads"]
    kv = 1 if c.get("attention") == "mqa" else c.get("kv_heads") or (max(1, heads // 4) if c.get("attention") == "gqa" else heads)
    hd = d // heads
    bias, rms = c.get("bias", True), c.get("norm") == "rms_norm"
    out = {}

    def linear(name, rows, cols, b=bias):
        out[name + ".weight"] = [rows, cols]
        if b:
            out[name + ".bias"] = [rows]

    def norm(name):
        out[name + ".weight"] = [d]
        if not rms:
            out[name + ".bias"] = [d]

    def attention(name):
        linear(name + ".query", d, d)
        linear(name + ".key", kv * hd, d)
        linear(name + ".value", kv * hd, d)
        linear(name + ".output", d, d)

    def feed_forward(name):
        linear(name + ".linear1", ff, d)
        if c.get("activation") == "swiglu":
            linear(name + ".gate", ff, d)
        linear(name + ".linear2", d, ff)

    def layers(stack, n, cross):
        for i in range(n):
            p = f"{stack}.layers.{i}"
            attention(p + ".selfAttention")
            norm(p + ".selfAttentionAddNorm.norm")
            if cross:
                attention(p + ".crossAttention")
                norm(p + ".crossAttentionAddNorm.norm")
            feed_forward(p + ".feedForward")
            norm(p + ".feedForwardAddNorm.norm")
        if c.get("final_norm", True):
            norm(stack + ".norm")

    def embedding(name, vocab):
        out[name + ".tokens.weight"] = [vocab, d]
        if c.get("positional") == "learned":
            out[name + ".learned.weight"] = [c["max_len"], d]
        if c.get("type_vocab", 0):
            out[name + ".types.weight"] = [c["type_vocab"], d]
        if c.get("embedding_norm"):
            norm(name + ".norm")

    vocab = c["src_vocab"] if fam == "encoder-only" else c["tgt_vocab"]
    if fam == "encoder-decoder":
        embedding("sourceEmbedding", c["src_vocab"])
        if not c.get("share_embeddings"):
            embedding("targetEmbedding", c["tgt_vocab"])
        layers("encoder", c["encoder_layers"], False)
        layers("decoder", c["decoder_layers"], True)
    else:
        embedding("embedding", vocab)
        layers("decoder" if fam == "decoder-only" else "encoder",
               c["decoder_layers"] if fam == "decoder-only" else c["encoder_layers"], False)
    if c.get("output_head", True):
        if c.get("output_transform"):
            linear("outputTransform.dense", d, d, True)
            norm("outputTransform.norm")
        tied = c.get("tie_output", False)
        has_bias = c.get("output_bias")
        if has_bias is None:
            has_bias = False if tied else bias
        if tied:
            if has_bias:
                out["outputBias"] = [vocab]
        else:
            linear("generator", vocab, d, has_bias)
    return out


def random_weights(shapes, seed):
    """Weights N(0, 0.3²) (rows of the embedding N(0, 1/d)), norm scales 1 + N(0, 0.1²), biases N(0, 0.1²)."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name, shape in sorted(shapes.items()):
        noise = torch.randn(shape, generator=g)
        if ".norm." in name or name.startswith("outputTransform.norm"):
            out[name] = 1 + 0.1 * noise if name.endswith("weight") else 0.1 * noise
        elif len(shape) == 1:
            out[name] = 0.1 * noise
        else:
            out[name] = 0.3 * noise
    return out


def batch(rows, pad):
    width = max(len(r) for r in rows)
    ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows])
    mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])
    return ids, mask


def write_ours(name, c, seed, tokenizer):
    d = os.path.join(ROOT, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(c, f, indent=2, sort_keys=True)
    save_file(random_weights(our_parameters(c), seed), os.path.join(d, "weights.safetensors"))
    with open(os.path.join(d, "tokenizer.json"), "w") as f:
        f.write(tokenizer)
    return d


def export(ours, fmt, out):
    subprocess.run([BINARY, "export", ours, "--format", fmt, "--out", out], check=True)
    return {f"fnv1a64.{f}": fnv1a64(os.path.join(out, f)) for f in sorted(os.listdir(out))}


def hf_case(name, c, seed, tokenizer):
    from transformers import AutoModel, AutoModelForCausalLM, AutoModelForMaskedLM, AutoModelForSeq2SeqLM, AutoTokenizer
    ours = write_ours(name, c, seed, tokenizer)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "hf")
        meta = export(ours, "hf", out)
        arch = json.load(open(os.path.join(out, "config.json")))["architectures"][0]
        tok = AutoTokenizer.from_pretrained(out)
        fam = c["family"]
        auto = {"encoder-decoder": AutoModelForSeq2SeqLM, "decoder-only": AutoModelForCausalLM}.get(fam)
        if fam == "encoder-only":
            auto = AutoModelForMaskedLM if c.get("output_head", True) else AutoModel
        model = auto.from_pretrained(out).eval()
        assert type(model).__name__ == arch, (type(model).__name__, arch)
        expected = {}
        for i, text in enumerate(TEXTS):
            expected[f"tokens.{i}"] = torch.tensor(tok(text)["input_ids"])
        ids, mask = batch([tok(t)["input_ids"] for t in TEXTS[:2]], tok.pad_token_id or 0)
        expected.update(input_ids=ids, attention_mask=mask)
        with torch.no_grad():
            if fam == "encoder-decoder":
                for i, text in enumerate(TARGETS):
                    expected[f"target.{i}"] = torch.tensor(tok(text_target=text)["input_ids"])
                labels = [tok(text_target=t)["input_ids"] for t in TARGETS[:2]]
                start = model.config.decoder_start_token_id
                dec, _ = batch([[start] + row[:-1] for row in labels], model.config.pad_token_id)
                expected["decoder_input_ids"] = dec
                expected["logits"] = model(input_ids=ids, attention_mask=mask, decoder_input_ids=dec).logits
            elif fam == "encoder-only" and not c.get("output_head", True):
                expected["hidden"] = model(input_ids=ids, attention_mask=mask).last_hidden_state
            else:
                expected["logits"] = model(input_ids=ids, attention_mask=mask).logits
    meta.update(format="hf", architecture=arch)
    meta.update({f"text.{i}": t for i, t in enumerate(TEXTS)})
    meta.update({f"target.{i}": t for i, t in enumerate(TARGETS)})
    save_file({k: v.contiguous() for k, v in expected.items()}, os.path.join(ours, "expected.safetensors"), metadata=meta)
    print(name, arch, {k: tuple(v.shape) for k, v in expected.items() if k in ("logits", "hidden")})


def pytorch_case(name, c, seed, tokenizer):
    ours = write_ours(name, c, seed, tokenizer)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "pt")
        meta = export(ours, "pytorch", out)
        ref = Seq2Seq(json.load(open(os.path.join(out, "config.json")))).eval()
        with safe_open(os.path.join(out, "weights.safetensors"), "pt") as f:
            ref.load_state_dict({k: f.get_tensor(k) for k in f.keys()}, strict=True)
        g = torch.Generator().manual_seed(seed)
        src = torch.randint(3, c["src_vocab"], (2, 6), generator=g)
        dec = torch.randint(3, c["tgt_vocab"], (2, 5), generator=g)
        src[1, 4:] = c["pad_id"]
        dec[:, 0] = c["bos_id"]
        with torch.no_grad():
            logits = ref(src, dec)
    meta.update(format="pytorch", architecture="torch.nn.Transformer")
    expected = {"input_ids": src, "attention_mask": (src != c["pad_id"]).long(), "decoder_input_ids": dec, "logits": logits}
    save_file(expected, os.path.join(ours, "expected.safetensors"), metadata=meta)
    print(name, "torch.nn.Transformer", tuple(logits.shape))


def config(family, **kw):
    c = dict(family=family, d_model=12, heads=3, encoder_layers=2, decoder_layers=2, ff=20, src_vocab=48, tgt_vocab=48,
             activation="relu", max_len=40, dropout=0.0, label_smoothing=0.0, pad_id=0, bos_id=1, eos_id=2)
    if family == "decoder-only":
        c["encoder_layers"] = 0
    if family == "encoder-only":
        c["decoder_layers"] = 0
    c.update(kw)
    return c


if __name__ == "__main__":
    torch.set_num_threads(1)
    if not os.path.exists(BINARY):
        sys.exit(f"{BINARY} is missing: run `swift build -c release` first")
    tok = tokenizer_json(48)
    # Marian: interleaved sinusoids permuted into Marian's halves; shared and tied, with a logits bias.
    hf_case("marian_shared_tied", config("encoder-decoder", d_model=16, heads=4, encoder_layers=1, final_norm=False, share_embeddings=True,
                                         tie_output=True, output_bias=True), 11, tok)
    # Odd d_model (8 sines, 7 cosines), separate vocabularies, untied, no biases (zeros), gelu_tanh, unscaled.
    hf_case("marian_odd_separate_untied", config("encoder-decoder", d_model=15, heads=3, decoder_layers=1, final_norm=False, tgt_vocab=53,
                                                 tie_output=False, bias=False, activation="gelu_tanh",
                                                 scale_embedding=False, layer_norm_eps=1e-5), 12, tok)
    # GPT-2: our language-model defaults (sinusoids as a position table, √d folded, the head untied).
    hf_case("gpt2_sinusoidal_scaled_tied", config("decoder-only", norm_first=True, tie_output=True), 13, tok)
    # GPT-2: learned positions, an untied head without bias, gelu_tanh.
    hf_case("gpt2_learned_untied", config("decoder-only", heads=2, norm_first=True, positional="learned",
                                          scale_embedding=False, tie_output=False, output_bias=False,
                                          activation="gelu_tanh", layer_norm_eps=1e-6), 14, tok)
    # Llama: grouped-query attention (2 query heads per key/value head), untied.
    hf_case("llama_gqa", config("decoder-only", d_model=16, heads=4, kv_heads=2, attention="gqa", norm="rms_norm", norm_first=True,
                                positional="rope", rope_base=500.0, activation="swiglu", bias=False, scale_embedding=False,
                                tie_output=False, layer_norm_eps=1e-6), 15, tok)
    # Llama: one key/value head, tied and scaled (folded, untied).
    hf_case("llama_mqa_tied_scaled", config("decoder-only", attention="mqa", norm="rms_norm", norm_first=True,
                                            positional="rope", activation="swiglu", bias=False, tie_output=True), 16, tok)
    # BERT with its masked-LM head, token types, tied.
    hf_case("bert_mlm", config("encoder-only", final_norm=False, embedding_norm=True, positional="learned", type_vocab=2,
                               scale_embedding=False, activation="gelu", output_transform=True, tie_output=True,
                               output_bias=True, layer_norm_eps=1e-12), 17, tok)
    # A bare BertModel from sinusoids (a position table), √d folded, no token types (one zero row), no biases.
    hf_case("bert_bare_sinusoidal", config("encoder-only", heads=2, final_norm=False, embedding_norm=True,
                                           output_head=False, bias=False), 18, tok)
    # The torch.nn.Transformer reference layout.
    pytorch_case("pytorch_reference", config("encoder-decoder", encoder_layers=1, decoder_layers=1, tgt_vocab=50,
                                              activation="gelu"), 19, tok)
