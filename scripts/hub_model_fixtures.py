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
With the tokenizers they would ship with (built here, tiny, trained on the tokenizer fixtures'
corpus): the Marian cases get source.spm/target.spm/vocab.json (target_vocab.json for separate
vocabularies) and translation.json (sentences, their ids as sources and as targets, greedy and beam translations with
generation_config.json's defaults but 12 new tokens, as ids and text); gpt2 and llama_gqa2 get a
tokenizer.json and generation.json (prompts, their ids, greedy continuations as ids and text).
sentence_bert/ is a sentence-transformers model (BERT, mean pooling, Normalize) saved with its
save(), with embeddings.json: lines, their embeddings from its encode() in one padded batch, and
the unnormalised [CLS] hidden states.
Weights are drawn wider than transformers' initialisation (std 0.02 gives near-uniform logits,
whose greedy choices a float rounding could flip); every greedy step's margin between the best
and second-best logit is printed, and the case fails if one is below 1e-3.
"""
import json
import os
import shutil
import tempfile

import sentencepiece as spm
import torch
from safetensors.torch import save_file
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import (BertConfig, BertForMaskedLM, BertModel, BertTokenizerFast, GenerationConfig, GPT2Config,
                          GPT2LMHeadModel, GPT2TokenizerFast, LlamaConfig, LlamaForCausalLM, LlamaTokenizer, MarianConfig,
                          MarianMTModel, MarianTokenizer)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "ParityTests", "Fixtures", "hub")
NEW_TOKENS = 12
CORPUS = os.path.join(ROOT, "..", "..", "..", "TokenizationTests", "Fixtures", "corpus.txt")
# Latin-1 lines only: a 100-token vocabulary must still hold every character.
LINES = [l for l in open(CORPUS, encoding="utf-8").read().splitlines() if l.strip() and all(ord(c) < 256 for c in l)]
SENTENCES = ["Zwei Hunde spielen im Schnee.", "Ein Mann sitzt neben dem Fluss.", "Eine Frau liest."]
PROMPTS = ["A man sits", "Two dogs play in the snow."]


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


def save(name, model, tensors, tokenizer=None, extra=None):
    d = os.path.join(ROOT, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    model.save_pretrained(d)
    if tokenizer is not None:
        tokenizer.save_pretrained(d)
    for file, value in (extra or {}).items():
        json.dump(value, open(os.path.join(d, file), "w", encoding="utf-8"), ensure_ascii=False, indent=1)
    save_file({k: v.clone().contiguous() for k, v in tensors.items()}, os.path.join(d, "expected.safetensors"))
    size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    print(f"{name}: {sum(p.numel() for p in model.parameters())} parameters, {size // 1024} KB")


def sentencepiece(tmp, name, vocab_size, model_type="unigram", normalization="identity"):
    prefix = os.path.join(tmp, name)
    with open(prefix + ".txt", "w", encoding="utf-8") as f:
        f.write("\n".join(LINES))
    spm.SentencePieceTrainer.train(input=prefix + ".txt", model_prefix=prefix, model_type=model_type, vocab_size=vocab_size,
                                   normalization_rule_name=normalization, byte_fallback=False, minloglevel=2)
    return prefix + ".model"


def marian_vocab(model_file, pad, size):
    """opus-mt's vocab.json: </s> 0, <unk> 1, the pieces, <pad> at `pad`; every id below `size` used once."""
    sp = spm.SentencePieceProcessor(model_file=model_file)
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size()) if sp.id_to_piece(i) not in ("<unk>", "<s>", "</s>")]
    ids = [i for i in range(2, size) if i != pad]
    assert len(pieces) >= len(ids), (model_file, len(pieces), len(ids))
    vocab = {"</s>": 0, "<unk>": 1, "<pad>": pad}
    vocab.update(zip(pieces, ids))
    return dict(sorted(vocab.items(), key=lambda kv: kv[1]))


def marian_tokenizer(pad, vocab, decoder_vocab):
    """A MarianTokenizer whose vocabularies fill the model's: shared (one vocab.json) or separate."""
    tmp = tempfile.mkdtemp()
    separate = decoder_vocab is not None
    # The shared case's source side normalises as opus-mt does (nmt_nfkc); the other stays small.
    source = sentencepiece(tmp, "source", pad + 1 if separate else vocab, normalization="identity" if separate else "nmt_nfkc")
    target = sentencepiece(tmp, "target", pad + 1 if separate else 90)
    json.dump(marian_vocab(source, pad, pad + 1 if separate else vocab), open(os.path.join(tmp, "vocab.json"), "w"))
    if separate:
        json.dump(marian_vocab(target, pad, decoder_vocab), open(os.path.join(tmp, "target_vocab.json"), "w"))
    return MarianTokenizer(source, target, os.path.join(tmp, "vocab.json"),
                           target_vocab_file=os.path.join(tmp, "target_vocab.json") if separate else None,
                           source_lang="de", target_lang="en", separate_vocabs=separate)


def byte_level_bpe(vocab):
    """GPT-2's kind of tokenizer: byte-level BPE with <|endoftext|> as the last id."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.train_from_iterator([l for l in LINES if l.isascii()], trainers.BpeTrainer(vocab_size=vocab - 1, initial_alphabet=[],
                                                                                show_progress=False))
    tok.add_special_tokens(["<|endoftext|>"])
    assert tok.token_to_id("<|endoftext|>") == vocab - 1, tok.get_vocab_size()
    return GPT2TokenizerFast(tokenizer_object=tok, bos_token="<|endoftext|>", eos_token="<|endoftext|>", unk_token="<|endoftext|>")


def llama_tokenizer(vocab):
    """Llama's kind: a SentencePiece BPE (<unk> 0, <s> 1, </s> 2) converted by LlamaTokenizer."""
    tmp = tempfile.mkdtemp()
    os.rename(sentencepiece(tmp, "spm", vocab, model_type="bpe"), os.path.join(tmp, "tokenizer.model"))
    tok = LlamaTokenizer.from_pretrained(tmp)
    assert len(tok) == vocab and tok.bos_token_id == 1 and tok.eos_token_id == 2
    return tok


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
    # Text in, text out, through the tokenizer; beam search with generation_config.json's settings.
    tok = marian_tokenizer(pad, vocab, decoder_vocab)
    inputs = tok(SENTENCES, return_tensors="pt", padding=True)
    with torch.no_grad():
        greedy = model.generate(**inputs, num_beams=1, do_sample=False, max_new_tokens=NEW_TOKENS)
        beam = model.generate(**inputs, max_new_tokens=NEW_TOKENS)
    gap = margins(model, dict(inputs), greedy, 1)
    assert gap > 1e-3, f"{name}: text greedy margin {gap}"
    greedy_ids = [trim(row[1:], 0).tolist() for row in greedy]
    beam_ids = [trim(row[1:], 0).tolist() for row in beam]
    translation = {"sentences": SENTENCES,
                   "source_ids": [row[row_mask.bool()].tolist() for row, row_mask in zip(inputs.input_ids, inputs.attention_mask)],
                   "target_ids": [tok(text_target=text).input_ids for text in SENTENCES],
                   "new_tokens": NEW_TOKENS, "greedy_ids": greedy_ids, "greedy": tok.batch_decode(greedy_ids, skip_special_tokens=True),
                   "beam_ids": beam_ids, "beam": tok.batch_decode(beam_ids, skip_special_tokens=True)}
    print(f"{name}: text greedy margin {gap:.4f}; {translation['greedy']}")
    save(name, model, tensors, tok, {"translation.json": translation})


def causal_lm(name, model, seed, vocab, pad_fill, eos, tok=None):
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
    extra = {}
    if tok is not None:
        # Text prompts as the tokenizer encodes them (GPT-2: no <bos>; this Llama tokenizer adds none either).
        generation = {"prompts": PROMPTS, "new_tokens": NEW_TOKENS, "prompt_ids": [], "greedy_ids": [], "greedy": []}
        for text in PROMPTS:
            prompt = tok(text, return_tensors="pt").input_ids
            with torch.no_grad():
                out = model.generate(input_ids=prompt, attention_mask=torch.ones_like(prompt), do_sample=False, num_beams=1,
                                     max_new_tokens=NEW_TOKENS, pad_token_id=eos)
            gap = margins(model, None, out, prompt.shape[1])
            assert gap > 1e-3, f"{name}: text greedy margin {gap}"
            new = trim(out[0, prompt.shape[1]:], eos).tolist()
            generation["prompt_ids"].append(prompt[0].tolist())
            generation["greedy_ids"].append(new)
            generation["greedy"].append(tok.decode(new, skip_special_tokens=True))
        print(f"{name}: text {generation['greedy']}")
        extra["generation.json"] = generation
    save(name, model, tensors, tok, extra)


def gpt2(name, seed, n_embd, n_head, vocab, n_positions, n_inner=None, eps=1e-5, tokenizer=False):
    eos = vocab - 1
    config = GPT2Config(vocab_size=vocab, n_positions=n_positions, n_embd=n_embd, n_layer=2, n_head=n_head, n_inner=n_inner,
                        activation_function="gelu_new", layer_norm_epsilon=eps, bos_token_id=eos, eos_token_id=eos,
                        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    torch.manual_seed(seed)
    model = GPT2LMHeadModel(config).eval()
    randomize(model, seed)
    causal_lm(name, model, seed, vocab, eos, eos, byte_level_bpe(vocab) if tokenizer else None)


def llama(name, seed, hidden, heads, kv_heads, inter, vocab, tie, theta=10000.0, eps=1e-6, tokenizer=False):
    config = LlamaConfig(vocab_size=vocab, hidden_size=hidden, intermediate_size=inter, num_hidden_layers=2,
                         num_attention_heads=heads, num_key_value_heads=kv_heads, max_position_embeddings=128,
                         rms_norm_eps=eps, tie_word_embeddings=tie, bos_token_id=1, eos_token_id=2, pad_token_id=None,
                         rope_parameters={"rope_type": "default", "rope_theta": theta})
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config).eval()
    randomize(model, seed)
    causal_lm(name, model, seed, vocab, 0, 2, llama_tokenizer(vocab) if tokenizer else None)


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


def sentence_bert(name, seed, hidden, heads, inter, max_seq_length):
    """A sentence-transformers model: BERT + mean pooling + Normalize, saved by SentenceTransformer.save."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    tok.train_from_iterator(LINES, trainers.WordPieceTrainer(vocab_size=150, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
                                                             show_progress=False))
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
                                                       special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    tokenizer = BertTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                  sep_token="[SEP]", mask_token="[MASK]")
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=hidden, num_hidden_layers=2, num_attention_heads=heads,
                        intermediate_size=inter, max_position_embeddings=40, pad_token_id=0,
                        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    torch.manual_seed(seed)
    bert = BertModel(config, add_pooling_layer=False).eval()
    randomize(bert, seed)
    tmp = tempfile.mkdtemp()
    bert.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    st = SentenceTransformer(modules=[Transformer(tmp, max_seq_length=max_seq_length), Pooling(hidden, pooling_mode="mean"), Normalize()])
    st.eval()
    d = os.path.join(ROOT, name)
    shutil.rmtree(d, ignore_errors=True)
    st.save(d)
    os.remove(os.path.join(d, "README.md"))
    # Lengths differ (padding in the batch); the last line is longer than max_seq_length; one is empty.
    lines = SENTENCES + ["", "Ein älterer Mann mit Hut und ein kleines Mädchen gehen zusammen über eine sehr lange Brücke am Fluss."]
    embeddings = st.encode(lines, batch_size=len(lines), convert_to_tensor=True)
    batch = tokenizer(lines, padding=True, truncation=True, max_length=max_seq_length, return_tensors="pt")
    assert batch.input_ids.shape[1] == max_seq_length
    with torch.no_grad():
        cls = bert(**batch).last_hidden_state[:, 0]
    json.dump({"lines": lines, "max_seq_length": max_seq_length, "embeddings": embeddings.tolist(), "cls": cls.tolist()},
              open(os.path.join(d, "embeddings.json"), "w", encoding="utf-8"), ensure_ascii=False)
    size = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(d) for f in fs)
    print(f"{name}: {sum(p.numel() for p in bert.parameters())} parameters, {size // 1024} KB")


if __name__ == "__main__":
    # Seeds and scales picked so that some outputs end in </s>, others at the cap, and beams differ from greedy.
    marian("marian_swish_shared", 15, d_model=32, heads=4, ffn=48, vocab=120, activation="swish", share=True, tie=True,
           std=0.25, eos_boost=1.0)
    marian("marian_relu_separate_vocab", 17, d_model=27, heads=3, ffn=40, vocab=110, decoder_vocab=97,
           activation="relu", share=False, tie=False, std=0.2, eos_boost=1.0)
    gpt2("gpt2", 21, n_embd=32, n_head=4, vocab=150, n_positions=64, tokenizer=True)
    gpt2("gpt2_short_positions", 22, n_embd=24, n_head=3, vocab=101, n_positions=17, n_inner=40, eps=1e-6)
    llama("llama_gqa2", 31, hidden=32, heads=4, kv_heads=2, inter=44, vocab=140, tie=False, tokenizer=True)
    llama("llama_gqa4_tied", 32, hidden=48, heads=8, kv_heads=2, inter=36, vocab=120, tie=True, theta=500000.0, eps=1e-5)
    llama("llama_mha", 33, hidden=24, heads=4, kv_heads=4, inter=30, vocab=100, tie=False)
    bert("bert_mlm", 41, hidden=32, heads=4, inter=64, vocab=130, mlm=True)
    bert("bert_model_pooler", 42, hidden=24, heads=2, inter=40, vocab=90, mlm=False, act="gelu_new")
    sentence_bert("sentence_bert", 43, hidden=32, heads=4, inter=40, max_seq_length=16)
