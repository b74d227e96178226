#!/usr/bin/env python3
"""A random-weight MarianMTModel with Helsinki-NLP/opus-mt-de-en's shapes, and the same directory
converted for CTranslate2 by its `ct2-transformers-converter` (run by hand, for benchmarks only).

opus-mt-de-en: d_model 512, 6 + 6 layers, 8 heads, ffn 2048, swish, static sinusoidal positions,
embeddings x sqrt(d_model), one embedding matrix for source, target and output (tied), a
final_logits_bias, vocabulary 58,101 with </s> 0, <unk> 1 and <pad> 58100, decoding started from
<pad>. The weights are random (transformers' initialisation, std 0.02), the pad embedding is zero
as in the converted opus-mt models (CTranslate2 starts the decoder from a zero vector), and
final_logits_bias is random so that the output bias is exercised. The tokenizer files are a
MarianTokenizer whose vocab.json has the model's 58,101 entries (</s>, <unk>, synthetic pieces
"t2" ... "t58099", <pad>) over a small SentencePiece model: enough for the converter, which reads
the vocabulary from it; the benchmarks feed token ids, never text.

    /work/venv/bin/python scripts/opus_mt_shape_model.py --out /work/runs/opus-mt-shape
    # writes /work/runs/opus-mt-shape (Hugging Face) and /work/runs/opus-mt-shape-ct2 (CTranslate2, float32)
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import sentencepiece as spm
import torch
from transformers import GenerationConfig, MarianConfig, MarianMTModel, MarianTokenizer

VOCAB, PAD, EOS, UNK = 58101, 58100, 0, 1
TEXT = ["Zwei Hunde spielen im Schnee.", "Ein Mann fährt mit dem Fahrrad durch die Stadt.",
        "Die Kinder sitzen am Tisch und essen.", "Eine Frau liest ein Buch im Park."] * 8


def tokenizer(directory):
    """A MarianTokenizer with the model's vocabulary (see the module docstring)."""
    tmp = tempfile.mkdtemp()
    prefix = os.path.join(tmp, "spm")
    with open(prefix + ".txt", "w", encoding="utf-8") as f:
        f.write("\n".join(TEXT))
    spm.SentencePieceTrainer.train(input=prefix + ".txt", model_prefix=prefix, model_type="unigram", vocab_size=40,
                                   normalization_rule_name="nmt_nfkc", minloglevel=2)
    vocab = {"</s>": EOS, "<unk>": UNK}
    vocab.update({"t%d" % i: i for i in range(2, PAD)})
    vocab["<pad>"] = PAD
    json.dump(vocab, open(os.path.join(tmp, "vocab.json"), "w"))
    tok = MarianTokenizer(prefix + ".model", prefix + ".model", os.path.join(tmp, "vocab.json"),
                          source_lang="de", target_lang="en")
    tok.save_pretrained(directory)
    shutil.rmtree(tmp)


def model(seed):
    config = MarianConfig(vocab_size=VOCAB, decoder_vocab_size=VOCAB, d_model=512, encoder_layers=6, decoder_layers=6,
                          encoder_attention_heads=8, decoder_attention_heads=8, encoder_ffn_dim=2048, decoder_ffn_dim=2048,
                          activation_function="swish", max_position_embeddings=512, scale_embedding=True,
                          static_position_embeddings=True, share_encoder_decoder_embeddings=True, tie_word_embeddings=True,
                          pad_token_id=PAD, eos_token_id=EOS, bos_token_id=EOS, decoder_start_token_id=PAD,
                          dropout=0.0, attention_dropout=0.0, activation_dropout=0.0)
    torch.manual_seed(seed)
    m = MarianMTModel(config).eval()
    with torch.no_grad():
        m.model.shared.weight[PAD].zero_()
        m.final_logits_bias.normal_(0, 0.1)
    # opus-mt-de-en's generation_config.json.
    m.generation_config = GenerationConfig(bad_words_ids=[[PAD]], decoder_start_token_id=PAD, eos_token_id=EOS,
                                           pad_token_id=PAD, bos_token_id=EOS, num_beams=4, max_length=512)
    return m


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="the Hugging Face directory; the CTranslate2 one is OUT-ct2")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    m = model(args.seed)
    m.save_pretrained(args.out)
    tokenizer(args.out)
    print(f"{args.out}: {sum(p.numel() for p in m.parameters())} parameters")
    converter = os.path.join(os.path.dirname(sys.executable), "ct2-transformers-converter")
    subprocess.run([converter, "--model", args.out, "--output_dir", args.out + "-ct2", "--force"], check=True)
    print(f"{args.out}-ct2: CTranslate2 float32")


if __name__ == "__main__":
    main()
