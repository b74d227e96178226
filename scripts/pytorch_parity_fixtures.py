#!/usr/bin/env python3
"""Writes PyTorch reference fixtures for the model parity tests (run by hand, never by CI).

    /path/to/venv/bin/python scripts/pytorch_parity_fixtures.py

For each case it writes Tests/ParityTests/Fixtures/<case>/:
  config.json          the model config (reference layout keys + our extra keys)
  weights.safetensors  the weights (encoder-decoder: PyTorch state_dict names; others: our names)
  inputs.safetensors   int64 src/tgt_in/tgt_out (encoder-decoder) or ids/targets (others)
  expected.safetensors logits, loss and grad.<name> for every weight
Encoder-decoder cases use torch.nn.Transformer (the layout `transformer forward` loads).
Decoder-only and encoder-only cases are reference models written here from torch.nn parts.
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "ParityTests", "Fixtures")


def sinusoidal(length, d):
    pe = torch.zeros(length, d)
    position = torch.arange(0, length, dtype=torch.float64).unsqueeze(1)
    div = torch.exp(torch.arange(0, d, 2, dtype=torch.float64) * -(math.log(10000.0) / d))
    pe[:, 0::2] = torch.sin(position * div).float()
    pe[:, 1::2] = torch.cos(position * div[: d // 2]).float()
    return pe


class Seq2Seq(nn.Module):
    """The reference layout: src_embed, tgt_embed, transformer, generator."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        self.src_embed = nn.Embedding(c["src_vocab"], c["d_model"])
        self.tgt_embed = nn.Embedding(c["tgt_vocab"], c["d_model"])
        self.transformer = nn.Transformer(
            d_model=c["d_model"], nhead=c["heads"], num_encoder_layers=c["encoder_layers"],
            num_decoder_layers=c["decoder_layers"], dim_feedforward=c["ff"], dropout=0.0,
            activation=c["activation"], batch_first=True, norm_first=c["norm_first"],
            layer_norm_eps=c["layer_norm_eps"])
        self.generator = nn.Linear(c["d_model"], c["tgt_vocab"])
        self.register_buffer("pe", sinusoidal(c["max_len"], c["d_model"]), persistent=False)

    def forward(self, src, tgt_in):
        d, pad = self.c["d_model"], self.c["pad_id"]
        s = self.src_embed(src) * math.sqrt(d) + self.pe[: src.shape[1]]
        t = self.tgt_embed(tgt_in) * math.sqrt(d) + self.pe[: tgt_in.shape[1]]
        causal = torch.triu(torch.ones(tgt_in.shape[1], tgt_in.shape[1], dtype=torch.bool), diagonal=1)
        h = self.transformer(s, t, tgt_mask=causal, src_key_padding_mask=src == pad,
                             tgt_key_padding_mask=tgt_in == pad, memory_key_padding_mask=src == pad)
        return self.generator(h)


class LM(nn.Module):
    """Decoder-only (causal) or encoder-only (bidirectional) stack of post/pre-LN layers."""

    def __init__(self, c, causal):
        super().__init__()
        self.c, self.causal = c, causal
        vocab = c["tgt_vocab"] if causal else c["src_vocab"]
        self.embed = nn.Embedding(vocab, c["d_model"])
        layer = nn.TransformerEncoderLayer(c["d_model"], c["heads"], c["ff"], 0.0, c["activation"],
                                           c["layer_norm_eps"], batch_first=True, norm_first=c["norm_first"])
        n = c["decoder_layers"] if causal else c["encoder_layers"]
        self.stack = nn.TransformerEncoder(layer, n, norm=nn.LayerNorm(c["d_model"], eps=c["layer_norm_eps"]),
                                           enable_nested_tensor=False)
        self.generator = nn.Linear(c["d_model"], vocab)
        self.register_buffer("pe", sinusoidal(c["max_len"], c["d_model"]), persistent=False)

    def forward(self, ids):
        x = self.embed(ids) * math.sqrt(self.c["d_model"]) + self.pe[: ids.shape[1]]
        t = ids.shape[1]
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1) if self.causal else None
        h = self.stack(x, mask=mask, src_key_padding_mask=ids == self.c["pad_id"], is_causal=False)
        return self.generator(h)


def our_names(state, family):
    """PyTorch names → ours, splitting packed in_proj into query/key/value."""
    out = {}
    for name, t in state.items():
        n = name
        if family == "encoder-decoder":
            continue
        n = n.replace("embed.weight", "embedding.tokens.weight")
        n = n.replace("stack.norm.", ("decoder" if family == "decoder-only" else "encoder") + ".norm.")
        stack = "decoder" if family == "decoder-only" else "encoder"
        n = n.replace("stack.layers.", stack + ".layers.")
        n = n.replace("self_attn.out_proj.", "selfAttention.output.")
        n = n.replace("linear1.", "feedForward.linear1.").replace("linear2.", "feedForward.linear2.")
        n = n.replace("norm1.", "selfAttentionAddNorm.norm.").replace("norm2.", "feedForwardAddNorm.norm.")
        if "self_attn.in_proj_" in n:
            kind = "weight" if n.endswith("weight") else "bias"
            base = n.split("self_attn.")[0] + "selfAttention."
            for part, chunk in zip(["query", "key", "value"], t.chunk(3, dim=0)):
                out[f"{base}{part}.{kind}"] = chunk.contiguous()
            continue
        out[n] = t.contiguous()
    return out


def padded_batch(gen, lengths, width, vocab, pad, bos=None):
    rows = []
    for L in lengths:
        body = torch.randint(3, vocab, (L,), generator=gen)
        if bos is not None:
            body[0] = bos
        rows.append(torch.cat([body, torch.full((width - L,), pad)]))
    return torch.stack(rows).long()


def write_case(name, c, model, inputs, logits, loss, family):
    d = os.path.join(ROOT, name)
    os.makedirs(d, exist_ok=True)
    loss.backward()
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    grads = {k: p.grad.detach().contiguous() for k, p in model.named_parameters()}
    if family != "encoder-decoder":
        state = our_names(state, family)
        grads = our_names(grads, family)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(c, f, indent=2, sort_keys=True)
    save_file(state, os.path.join(d, "weights.safetensors"))
    save_file({k: v.contiguous() for k, v in inputs.items()}, os.path.join(d, "inputs.safetensors"))
    expected = {"logits": logits.detach().contiguous(), "loss": loss.detach().reshape(())}
    expected.update({"grad." + k: v for k, v in grads.items()})
    save_file(expected, os.path.join(d, "expected.safetensors"))
    print(name, "loss", float(loss.detach()), "params", sum(p.numel() for p in model.parameters()))


def base_config(**kw):
    c = dict(d_model=24, heads=4, encoder_layers=2, decoder_layers=2, ff=40, src_vocab=29, tgt_vocab=31,
             activation="relu", layer_norm_eps=1e-5, norm_first=False, max_len=64, pad_id=0, bos_id=1, eos_id=2,
             label_smoothing=0.1, dropout=0.0)
    c.update(kw)
    return c


def seq2seq_case(name, seed, **kw):
    torch.manual_seed(seed)
    c = base_config(**kw)
    model = Seq2Seq(c)
    # Non-trivial norm parameters, so their gradients and use are really tested.
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "norm" in n:
                p.add_(torch.randn_like(p) * 0.1)
    g = torch.Generator().manual_seed(seed)
    src = padded_batch(g, [7, 4, 5], 7, c["src_vocab"], c["pad_id"])
    tgt = padded_batch(g, [6, 3, 5], 6, c["tgt_vocab"], c["pad_id"], bos=c["bos_id"])
    tgt_out = torch.cat([tgt[:, 1:], torch.full((3, 1), c["pad_id"])], dim=1)
    for i, L in enumerate([6, 3, 5]):
        tgt_out[i, L - 1] = c["eos_id"]
    logits = model(src, tgt)
    loss = F.cross_entropy(logits.reshape(-1, c["tgt_vocab"]), tgt_out.reshape(-1),
                           ignore_index=c["pad_id"], label_smoothing=c["label_smoothing"])
    write_case(name, c, model, {"src": src, "tgt_in": tgt, "tgt_out": tgt_out}, logits, loss, "encoder-decoder")


def lm_case(name, seed, family, **kw):
    torch.manual_seed(seed)
    c = base_config(**kw)
    c["family"] = family
    causal = family == "decoder-only"
    model = LM(c, causal)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "norm" in n:
                p.add_(torch.randn_like(p) * 0.1)
    vocab = c["tgt_vocab"] if causal else c["src_vocab"]
    g = torch.Generator().manual_seed(seed)
    ids = padded_batch(g, [8, 5, 6], 8, vocab, c["pad_id"])
    targets = padded_batch(g, [8, 5, 6], 8, vocab, c["pad_id"])
    logits = model(ids)
    loss = F.cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1), ignore_index=c["pad_id"],
                           label_smoothing=c["label_smoothing"])
    write_case(name, c, model, {"ids": ids, "targets": targets}, logits, loss, family)


if __name__ == "__main__":
    torch.set_num_threads(1)
    seq2seq_case("seq2seq_postln_relu", 1)
    seq2seq_case("seq2seq_preln_gelu", 2, norm_first=True, activation="gelu", d_model=20, heads=2,
                 encoder_layers=1, decoder_layers=2, ff=36)
    seq2seq_case("seq2seq_postln_gelu_nosmoothing", 3, activation="gelu", d_model=18, heads=3,
                 encoder_layers=2, decoder_layers=1, ff=30, label_smoothing=0.0, layer_norm_eps=1e-6)
    lm_case("decoder_only_preln", 4, "decoder-only", norm_first=True, decoder_layers=2)
    lm_case("encoder_only_postln_gelu", 5, "encoder-only", activation="gelu", encoder_layers=2)
