#!/usr/bin/env python3
"""Writes Hugging Face model directories with random weights, and what transformers computes with
them, for the hub parity tests (run by hand, never by CI):

    /work/venv/bin/python scripts/hub_model_fixtures.py

For each case it writes Tests/ParityTests/Fixtures/hub/<case>/:
  config.json, generation_config.json, model.safetensors   from `save_pretrained`
  expected.safetensors
    input_ids [2, T] int64, attention_mask [2, T] (1 = token, 0 = padding; right-padded),
    token_type_ids (BERT), decoder_input_ids (Marian: starts with decoder_start_token_id),
    logits [2, T, V] (when the model has an output head), hidden [2, T, d] (the last hidden
    state: the decoder's for Marian, plus encoder_hidden), and for the generating models
    prompt.<i> / source.<i>, greedy.<i> and beam.<i> (the new tokens only; beam.<i>.score is
    transformers' sequences_scores: log P / |Y|^length_penalty).
Weights are drawn wider than transformers' initialisation (std 0.02 gives near-uniform logits,
whose greedy choices a float rounding could flip); every greedy step's margin between the best
and second-best logit is printed, and the case fails if one is below 1e-3.
"""
import json
import os

import torch
from safetensors.torch import save_file
from transformers import (BertConfig, BertForMaskedLM, BertModel, GenerationConfig, GPT2Config, GPT2LMHeadModel,
                          LlamaConfig, LlamaForCausalLM, MarianConfig, MarianMTModel)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "ParityTests", "Fixtures", "hub")
NEW_TOKENS = 12


def randomize(model, seed, std=0.3):
    """Every parameter random: weights N(0, std²), norm scales 1 + N(0, 0.1²), biases N(0, 0.1²).
    Marian's sinusoid tables are frozen parameters that are not saved: they stay as computed."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "embed_positions" in name and not p.requires_grad:
                continue
            noise = torch.randn(p.shape, generator=g)
            if "norm" in name.lower() or name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or "ln_f" in name:
                p.copy_(1 + 0.1 * noise if name.endswith("weight") else 0.1 * noise)
            elif p.dim() == 1:
                p.copy_(0.1 * noise)
            else:
                p.copy_(std * noise)
        if hasattr(model, "final_logits_bias"):
            model.final_logits_bias.copy_(0.5 * torch.randn(model.final_logits_bias.shape, generator=g))


def batch(g, lengths, vocab, fill, low=3, avoid=()):
    width = max(lengths)
    ids = torch.full((len(lengths), width), fill, dtype=torch.long)
    mask = torch.zeros((len(lengths), width), dtype=torch.long)
    for i, n in enumerate(lengths):
        row = torch.randint(low, vocab, (n,), generator=g)
        for a in avoid:
            row[row == a] = low
        ids[i, :n] = row
        mask[i, :n] = 1
    return ids, mask


def margins(model, encoder_inputs, sequences, prompt_len):
    """The smallest gap between the best and second-best logit over the greedy steps."""
    worst = float("inf")
    with torch.no_grad():
        for row in range(sequences.shape[0]):
            seq = sequences[row : row + 1]
            if encoder_inputs is None:
                logits = model(input_ids=seq).logits[0]
            else:
                logits = model(**{k: v[row : row + 1] for k, v in encoder_inputs.items()}, decoder_input_ids=seq).logits[0]
            for t in range(prompt_len - 1, seq.shape[1] - 1):
                top = torch.topk(logits[t], 2).values
                worst = min(worst, float(top[0] - top[1]))
    return worst


def save(name, model, tensors):
    d = os.path.join(ROOT, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        os.remove(os.path.join(d, f))
    model.save_pretrained(d)
    save_file({k: v.clone().contiguous() for k, v in tensors.items()}, os.path.join(d, "expected.safetensors"))
    size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    print(f"{name}: {sum(p.numel() for p in model.parameters())} parameters, {size // 1024} KB")


def trim(tokens, eos):
    """Generated tokens up to and including the first <eos> (batched outputs are padded after it)."""
    out = []
    for t in tokens.tolist():
        out.append(t)
        if t == eos:
            break
    return torch.tensor(out, dtype=torch.long)


def marian(name, seed, d_model, heads, ffn, vocab, activation, share, tie, decoder_vocab=None, std=0.2, eos_boost=1.0):
    pad = min(vocab, decoder_vocab or vocab) - 1     # Marian's pad is its last id; decoding starts from it
    config = MarianConfig(vocab_size=vocab, decoder_vocab_size=decoder_vocab or vocab, d_model=d_model,
                          encoder_layers=2, decoder_layers=2, encoder_attention_heads=heads, decoder_attention_heads=heads,
                          encoder_ffn_dim=ffn, decoder_ffn_dim=ffn, activation_function=activation, max_position_embeddings=64,
                          pad_token_id=pad, eos_token_id=0, bos_token_id=0, decoder_start_token_id=pad,
                          share_encoder_decoder_embeddings=share, tie_word_embeddings=tie, scale_embedding=True,
                          dropout=0.0, attention_dropout=0.0, activation_dropout=0.0)
    torch.manual_seed(seed)
    model = MarianMTModel(config).eval()
    randomize(model, seed, std)
    with torch.no_grad():
        model.final_logits_bias[0, 0] += eos_boost    # so that some translations end before the length cap
    model.generation_config = GenerationConfig(bad_words_ids=[[pad]], decoder_start_token_id=pad, eos_token_id=0,
                                               pad_token_id=pad, bos_token_id=0, num_beams=3, max_length=64)
    g = torch.Generator().manual_seed(seed + 1)
    src, mask = batch(g, [7, 4], vocab, pad, low=1, avoid=(pad,))
    src[0, 6] = 0
    src[1, 3] = 0                                    # sources end with </s>, as the tokenizer writes them
    tgt_vocab = decoder_vocab or vocab
    dec = torch.randint(1, tgt_vocab - 1, (2, 5), generator=g)
    dec[:, 0] = pad
    with torch.no_grad():
        out = model(input_ids=src, attention_mask=mask, decoder_input_ids=dec, output_hidden_states=True)
        encoder_hidden = model.get_encoder()(input_ids=src, attention_mask=mask).last_hidden_state
        hidden = model.model(input_ids=src, attention_mask=mask, decoder_input_ids=dec).last_hidden_state
        tensors = {"input_ids": src, "attention_mask": mask, "decoder_input_ids": dec, "logits": out.logits,
                   "hidden": hidden, "encoder_hidden": encoder_hidden}
        greedy = model.generate(input_ids=src, attention_mask=mask, num_beams=1, do_sample=False, max_new_tokens=NEW_TOKENS)
        beam = model.generate(input_ids=src, attention_mask=mask, num_beams=3, do_sample=False, max_new_tokens=NEW_TOKENS,
                              output_scores=True, return_dict_in_generate=True)
    for i in range(2):
        n = int(mask[i].sum())
        tensors[f"source.{i}"] = src[i, :n]
        tensors[f"greedy.{i}"] = trim(greedy[i, 1:], 0)
        tensors[f"beam.{i}"] = trim(beam.sequences[i, 1:], 0)
        tensors[f"beam.{i}.score"] = beam.sequences_scores[i].reshape(())
    gap = margins(model, {"input_ids": src, "attention_mask": mask}, greedy, 1)
    print(f"{name}: greedy margin {gap:.4f}; greedy {[tensors[f'greedy.{i}'].tolist() for i in range(2)]}; beam {[tensors[f'beam.{i}'].tolist() for i in range(2)]}")
    assert gap > 1e-3, name
    save(name, model, tensors)


def causal_lm(name, model, seed, vocab, pad_fill, eos):
    g = torch.Generator().manual_seed(seed + 1)
    ids, mask = batch(g, [9, 6], vocab, pad_fill, low=0, avoid=(eos,))
    base = model.model if hasattr(model, "model") else model.transformer
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=mask).logits
        hidden = base(input_ids=ids, attention_mask=mask).last_hidden_state
    tensors = {"input_ids": ids, "attention_mask": mask, "logits": logits, "hidden": hidden}
    worst = float("inf")
    for i, n in enumerate([5, 3]):
        prompt = torch.randint(0, vocab, (1, n), generator=g)
        prompt[prompt == eos] = 0
        with torch.no_grad():
            greedy = model.generate(input_ids=prompt, attention_mask=torch.ones_like(prompt), do_sample=False,
                                    num_beams=1, max_new_tokens=NEW_TOKENS, pad_token_id=eos)
            beam = model.generate(input_ids=prompt, attention_mask=torch.ones_like(prompt), do_sample=False, num_beams=3,
                                  max_new_tokens=NEW_TOKENS, pad_token_id=eos, output_scores=True, return_dict_in_generate=True)
        tensors[f"prompt.{i}"] = prompt[0]
        tensors[f"greedy.{i}"] = trim(greedy[0, n:], eos)
        tensors[f"beam.{i}"] = trim(beam.sequences[0, n:], eos)
        tensors[f"beam.{i}.score"] = beam.sequences_scores[0].reshape(())
        worst = min(worst, margins(model, None, greedy, n))
    print(f"{name}: greedy margin {worst:.4f}; greedy {[tensors[f'greedy.{i}'].tolist() for i in range(2)]}; beam {[tensors[f'beam.{i}'].tolist() for i in range(2)]}")
    assert worst > 1e-3, name
    save(name, model, tensors)


def gpt2(name, seed, n_embd, n_head, vocab, n_positions, n_inner=None, eps=1e-5):
    eos = vocab - 1
    config = GPT2Config(vocab_size=vocab, n_positions=n_positions, n_embd=n_embd, n_layer=2, n_head=n_head, n_inner=n_inner,
                        activation_function="gelu_new", layer_norm_epsilon=eps, bos_token_id=eos, eos_token_id=eos,
                        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    torch.manual_seed(seed)
    model = GPT2LMHeadModel(config).eval()
    randomize(model, seed)
    causal_lm(name, model, seed, vocab, eos, eos)


def llama(name, seed, hidden, heads, kv_heads, inter, vocab, tie, theta=10000.0, eps=1e-6):
    config = LlamaConfig(vocab_size=vocab, hidden_size=hidden, intermediate_size=inter, num_hidden_layers=2,
                         num_attention_heads=heads, num_key_value_heads=kv_heads, max_position_embeddings=128,
                         rms_norm_eps=eps, tie_word_embeddings=tie, bos_token_id=1, eos_token_id=2, pad_token_id=None,
                         rope_parameters={"rope_type": "default", "rope_theta": theta})
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config).eval()
    randomize(model, seed)
    causal_lm(name, model, seed, vocab, 0, 2)


def bert(name, seed, hidden, heads, inter, vocab, mlm, act="gelu"):
    config = BertConfig(vocab_size=vocab, hidden_size=hidden, num_hidden_layers=2, num_attention_heads=heads,
                        intermediate_size=inter, hidden_act=act, max_position_embeddings=40, type_vocab_size=2,
                        layer_norm_eps=1e-12, pad_token_id=0, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    torch.manual_seed(seed)
    model = (BertForMaskedLM(config) if mlm else BertModel(config)).eval()
    randomize(model, seed)
    g = torch.Generator().manual_seed(seed + 1)
    ids, mask = batch(g, [9, 6], vocab, 0, low=1)
    types = torch.zeros_like(ids)
    types[1, 3:6] = 1                                # a second segment in row 1
    with torch.no_grad():
        if mlm:
            logits = model(input_ids=ids, attention_mask=mask, token_type_ids=types).logits
            hidden = model.bert(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
        else:
            hidden = model(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
    tensors = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types, "hidden": hidden}
    if mlm:
        tensors["logits"] = logits
    save(name, model, tensors)


if __name__ == "__main__":
    # Seeds and scales picked so that some outputs end in </s>, others at the cap, and beams differ from greedy.
    marian("marian_swish_shared", 15, d_model=32, heads=4, ffn=48, vocab=120, activation="swish", share=True, tie=True,
           std=0.25, eos_boost=1.0)
    marian("marian_relu_separate_vocab", 17, d_model=27, heads=3, ffn=40, vocab=110, decoder_vocab=97,
           activation="relu", share=False, tie=False, std=0.2, eos_boost=1.0)
    gpt2("gpt2", 21, n_embd=32, n_head=4, vocab=150, n_positions=64)
    gpt2("gpt2_short_positions", 22, n_embd=24, n_head=3, vocab=101, n_positions=17, n_inner=40, eps=1e-6)
    llama("llama_gqa2", 31, hidden=32, heads=4, kv_heads=2, inter=44, vocab=140, tie=False)
    llama("llama_gqa4_tied", 32, hidden=48, heads=8, kv_heads=2, inter=36, vocab=120, tie=True, theta=500000.0, eps=1e-5)
    llama("llama_mha", 33, hidden=24, heads=4, kv_heads=4, inter=30, vocab=100, tie=False)
    bert("bert_mlm", 41, hidden=32, heads=4, inter=64, vocab=130, mlm=True)
    bert("bert_model_pooler", 42, hidden=24, heads=2, inter=40, vocab=90, mlm=False, act="gelu_new")
