#!/usr/bin/env python3
"""Peer benchmark for `transformer bench decode` (run by hand, never in tests or CI).

Builds random-weight Hugging Face MarianMTModels of the bench presets' shapes (shared embedding,
sinusoidal positions, untied output projection, ReLU, Post-LN), converts them with CTranslate2's
converter, and measures decoding tokens/s the way `transformer bench decode` does: source length
32, exactly --new-tokens output tokens per sentence (min = max decoding length), median of --runs
timed runs after one warm-up, tokens/s = batch x new tokens / wall time (encoding included).
Prints one JSON line per case with an "engine" key: ctranslate2 (each --compute-types, as
CTranslate2 names them: float32, int8, int8_float32, bfloat16; intra_threads 1 and 2) and
transformers (torch threads 1 and 2). With --ours PATH it also runs our binary in the same
session in each --precisions (f32, bf16, int8), interleaved, so all numbers share the machine's
conditions.

With --model-dir DIR --ct2-dir CT2_DIR it times a Hugging Face encoder-decoder directory instead
(ours: `transformer bench decode --model DIR`) against the same model converted by
`ct2-transformers-converter` (scripts/opus_mt_shape_model.py writes both), for --rounds rounds that
alternate the engines; each line is one round, the last lines the medians over rounds. Each side
also reports its process's CPU time per token ("cpu_ms_per_token", all threads), which a busy
machine disturbs less than tokens/s. Both sides
decode the same source ids (those `bench decode` draws, reproduced here) and report a hash of the
output ids ("output_fnv1a"); "same_tokens" says whether CTranslate2's equal ours.

    python -m venv venv && venv/bin/pip install torch transformers ctranslate2 sentencepiece
    venv/bin/python scripts/bench_ctranslate2_decode.py --presets tiny small base \
        --ours .build/release/transformer
    venv/bin/python scripts/bench_ctranslate2_decode.py --compute-types int8 bfloat16 --precisions int8 bf16 \
        --skip-hf --ours .build/release/transformer
    venv/bin/python scripts/bench_ctranslate2_decode.py --model-dir /work/runs/opus-mt-shape \
        --ct2-dir /work/runs/opus-mt-shape-ct2 --ours .build/release/transformer --rounds 3
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

import ctranslate2
import torch
import transformers

PRESETS = {  # d_model, heads, layers (each side), d_ff, vocabulary
    "tiny": (128, 4, 2, 512, 8000),
    "small": (256, 8, 3, 1024, 10000),
    "base": (512, 8, 6, 2048, 32000),
}
CASES = [(1, 1), (16, 1), (1, 4)]  # (batch, beam)
SOURCE_LENGTH = 32


def marian(preset):
    # As Marian models on the Hub: the last id is <pad>, which starts the decoder; the CTranslate2
    # converter drops it again (it starts from a zero embedding), leaving `vocab` tokens.
    d, h, layers, ff, vocab = PRESETS[preset]
    config = transformers.MarianConfig(
        vocab_size=vocab + 1, decoder_vocab_size=vocab + 1, d_model=d, encoder_layers=layers, decoder_layers=layers,
        encoder_attention_heads=h, decoder_attention_heads=h, encoder_ffn_dim=ff, decoder_ffn_dim=ff,
        activation_function="relu", max_position_embeddings=512, scale_embedding=True,
        share_encoder_decoder_embeddings=True, tie_word_embeddings=False,
        pad_token_id=vocab, bos_token_id=1, eos_token_id=2, decoder_start_token_id=vocab,
        dropout=0.0, attention_dropout=0.0, activation_dropout=0.0)
    torch.manual_seed(0)
    model = transformers.MarianMTModel(config).eval()
    return model


class _Vocabulary:
    """What the converter reads from a tokenizer: the token strings by id, <eos> and <unk>."""

    def __init__(self, size):
        self.tokens = ["<unk>", "<s>", "</s>"] + ["t%d" % i for i in range(3, size)] + ["<pad>"]
        self.eos_token, self.unk_token = "</s>", "<unk>"

    def get_vocab(self):
        return {t: i for i, t in enumerate(self.tokens)}


class _Converter(ctranslate2.converters.TransformersConverter):
    """Converts an in-memory model (no tokenizer files: random weights need none). `directory`
    holds the model's config.json, which the converter reads first."""

    def __init__(self, directory, model, vocabulary):
        model.config.save_pretrained(directory)
        super().__init__(directory)
        self._model, self._vocabulary = model, vocabulary

    def load_model(self, model_class, model_name_or_path, **kwargs):
        return self._model

    def load_tokenizer(self, tokenizer_class, model_name_or_path, **kwargs):
        return self._vocabulary


def sources(batch, vocab):
    g = torch.Generator().manual_seed(2)
    return torch.randint(3, vocab, (batch, SOURCE_LENGTH), generator=g)


def median_rate(run, batch, new_tokens, runs):
    run()
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        rates.append(batch * new_tokens / (time.perf_counter() - start))
    return statistics.median(rates)


def bench_ct2(directory, preset, batch, beam, threads, new_tokens, runs, compute_type="float32"):
    translator = ctranslate2.Translator(directory, device="cpu", compute_type=compute_type,
                                        intra_threads=threads, inter_threads=1)
    vocab = PRESETS[preset][4]
    tokens = [["t%d" % int(i) for i in row] for row in sources(batch, vocab)]

    def run():
        out = translator.translate_batch(tokens, beam_size=beam, max_decoding_length=new_tokens,
                                         min_decoding_length=new_tokens, max_batch_size=batch)
        assert all(len(r.hypotheses[0]) == new_tokens for r in out), "CTranslate2 output length"

    return median_rate(run, batch, new_tokens, runs)


def bench_hf(model, preset, batch, beam, threads, new_tokens, runs):
    torch.set_num_threads(threads)
    ids = sources(batch, PRESETS[preset][4])

    def run():
        with torch.inference_mode():
            out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), num_beams=beam, do_sample=False,
                                 max_new_tokens=new_tokens, min_new_tokens=new_tokens)
        assert out.shape[1] == new_tokens + 1, "transformers output length"

    return median_rate(run, batch, new_tokens, runs)


def bench_ours(binary, preset, batch, beam, threads, new_tokens, runs, precision="f32"):
    out = subprocess.run([binary, "bench", "decode", "--preset", preset, "--batch", str(batch), "--beam", str(beam),
                          "--threads", str(threads), "--new-tokens", str(new_tokens), "--runs", str(runs),
                          "--precision", precision],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


MASK64 = (1 << 64) - 1


def random_bits(seed, counter):
    """RandomGenerator.bits (Sources/TensorEngine/RandomGenerator.swift): SplitMix64 at `counter`."""
    z = (seed + counter * 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def bench_sources(batch, vocab, pad):
    """`bench decode`'s sources: 32 ids each from 3..<vocab less the pad id, RandomGenerator seed 2."""
    ids = [i for i in range(3, vocab) if i != pad]
    return [[ids[random_bits(2, 1 + s * SOURCE_LENGTH + t) % len(ids)] for t in range(SOURCE_LENGTH)] for s in range(batch)]


def fnv1a(rows):
    h = 0xCBF29CE484222325
    for row in rows:
        for token in row:
            for byte in (token & 0xFFFFFFFF).to_bytes(4, "little"):
                h = ((h ^ byte) * 0x100000001B3) & MASK64
    return format(h, "x")


def bench_ct2_dir(translator, vocabulary, sources, beam, new_tokens, runs):
    """tokens/s, CPU ms per token (the process's, all threads; medians of `runs` after a warm-up)
    and the output ids' hash of a converted model on `sources` (ids)."""
    index = {t: i for i, t in enumerate(vocabulary)}
    tokens = [[vocabulary[i] for i in row] for row in sources]
    count = len(sources) * new_tokens
    output = []

    def run():
        out = translator.translate_batch(tokens, beam_size=beam, max_decoding_length=new_tokens,
                                         min_decoding_length=new_tokens, max_batch_size=len(sources))
        assert all(len(r.hypotheses[0]) == new_tokens for r in out), "CTranslate2 output length"
        output[:] = [[index[t] for t in r.hypotheses[0]] for r in out]

    run()
    rates, cpu = [], []
    for _ in range(runs):
        start, cpu_start = time.perf_counter(), time.process_time()
        run()
        rates.append(count / (time.perf_counter() - start))
        cpu.append(1000 * (time.process_time() - cpu_start) / count)
    return statistics.median(rates), statistics.median(cpu), fnv1a(output)


def bench_model_dir(args):
    config = json.load(open(os.path.join(args.model_dir, "config.json")))
    vocabulary = json.load(open(os.path.join(args.ct2_dir, "shared_vocabulary.json")))
    results = {}
    translators = {}
    for round_ in range(args.rounds):
        for batch, beam in CASES:
            sources = bench_sources(batch, config["vocab_size"], config.get("pad_token_id"))
            for threads in args.threads:
                engines = ["swift-transformer", "ctranslate2"] if args.ours else ["ctranslate2"]
                if round_ % 2 == 1:
                    engines.reverse()
                line = {}
                for engine in engines:
                    if engine == "ctranslate2":
                        if threads not in translators:
                            translators[threads] = ctranslate2.Translator(args.ct2_dir, device="cpu", compute_type="float32",
                                                                          intra_threads=threads, inter_threads=1)
                        line[engine] = bench_ct2_dir(translators[threads], vocabulary, sources, beam,
                                                     args.new_tokens, args.runs)
                    else:
                        out = subprocess.run([args.ours, "bench", "decode", "--model", args.model_dir, "--batch", str(batch),
                                              "--beam", str(beam), "--threads", str(threads), "--new-tokens",
                                              str(args.new_tokens), "--runs", str(args.runs)],
                                             check=True, capture_output=True, text=True).stdout
                        ours = json.loads(out.strip().splitlines()[-1])
                        line[engine] = (ours["tokens_per_s"], ours["cpu_ms_per_token"], ours["output_fnv1a"])
                same = len({h for _, _, h in line.values()}) == 1
                for engine, (rate, cpu, digest) in line.items():
                    results.setdefault((engine, batch, beam, threads), []).append((rate, cpu))
                    print(json.dumps({"engine": engine, "round": round_, "batch": batch, "beam": beam, "threads": threads,
                                      "tokens_per_s": round(rate, 1), "cpu_ms_per_token": round(cpu, 2),
                                      "output_fnv1a": digest, "same_tokens": same}), flush=True)
    for (engine, batch, beam, threads), values in results.items():
        print(json.dumps({"engine": engine, "median_of_rounds": len(values), "batch": batch, "beam": beam, "threads": threads,
                          "tokens_per_s": round(statistics.median(v[0] for v in values), 1),
                          "cpu_ms_per_token": round(statistics.median(v[1] for v in values), 2)}), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--presets", nargs="+", default=["tiny", "small", "base"], choices=sorted(PRESETS))
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--hf-runs", type=int, default=3, help="timed runs for transformers (slow)")
    parser.add_argument("--ours", help="path of our `transformer` binary, to measure it in the same session")
    parser.add_argument("--skip-hf", action="store_true")
    parser.add_argument("--compute-types", nargs="+", default=["float32"],
                        choices=["float32", "int8", "int8_float32", "bfloat16"], help="CTranslate2 compute types")
    parser.add_argument("--precisions", nargs="+", default=["f32"], choices=["f32", "bf16", "int8"],
                        help="our --precision values")
    parser.add_argument("--model-dir", help="a Hugging Face encoder-decoder directory (instead of the presets)")
    parser.add_argument("--ct2-dir", help="that directory converted by ct2-transformers-converter")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds with --model-dir")
    args = parser.parse_args()
    if args.model_dir:
        if not args.ct2_dir:
            parser.error("--model-dir needs --ct2-dir")
        bench_model_dir(args)
        return

    for preset in args.presets:
        model = marian(preset)
        with tempfile.TemporaryDirectory() as directory:
            target = os.path.join(directory, "ct2")
            _Converter(os.path.join(directory, "hf"), model, _Vocabulary(PRESETS[preset][4])).convert(target, quantization=None, force=True)
            for batch, beam in CASES:
                for threads in args.threads:
                    case = {"preset": preset, "batch": batch, "beam": beam, "threads": threads}
                    lines = []
                    if args.ours:
                        for precision in args.precisions:
                            out = bench_ours(args.ours, preset, batch, beam, threads, args.new_tokens, args.runs,
                                             precision)
                            lines.append({"engine": "swift-transformer", **case, "precision": precision,
                                          "tokens_per_s": out["tokens_per_s"],
                                          "weight_bytes_per_token": out.get("weight_bytes_per_token"),
                                          "weight_gb_per_s": out.get("weight_gb_per_s")})
                    for compute_type in args.compute_types:
                        try:
                            rate = round(bench_ct2(target, preset, batch, beam, threads, args.new_tokens, args.runs,
                                                   compute_type), 1)
                        except ValueError as error:  # e.g. bfloat16 on a CPU backend without it
                            rate = "unsupported: %s" % error
                        lines.append({"engine": "ctranslate2", **case, "compute_type": compute_type,
                                      "tokens_per_s": rate})
                    if not args.skip_hf:
                        rate = bench_hf(model, preset, batch, beam, threads, args.new_tokens, args.hf_runs)
                        lines.append({"engine": "transformers", **case, "tokens_per_s": round(rate, 1)})
                    for line in lines:
                        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
