"""Writes the seed inputs of each harness into Corpus/<harness>/ from the repository's test
fixtures. Run by hand (python3 Fuzz/seeds.py) before the first fuzzing run of a harness;
fuzz.sh then minimizes the corpus with what fuzzing adds."""
import hashlib
import json
import os
import struct
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.environ.get("FUZZ_CORPUS", os.path.join(ROOT, "Fuzz", "Corpus"))
CK = "Tests/CheckpointsTests/Fixtures/"
TK = "Tests/TokenizationTests/Fixtures/"


def read(path):
    with open(os.path.join(ROOT, path), "rb") as f:
        return f.read()


def put(harness, data):
    directory = os.path.join(CORPUS, harness)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def torch_files():
    names = ["hf/bin_model/pytorch_model.bin", "hf/protocol4.bin", "hf/zip64.bin", "hf/nested.bin",
             "hf/sharded_bin/pytorch_model-00002-of-00002.bin"]
    hostile = os.path.join(ROOT, CK, "hf/hostile")
    names += ["hf/hostile/" + n for n in sorted(os.listdir(hostile)) if n.endswith(".bin")]
    return [read(CK + n) for n in names]


def safetensors_header(data):
    (n,) = struct.unpack("<Q", data[:8])
    return data[8:8 + n]


safetensors = [CK + n for n in ["layout.safetensors", "mixed.safetensors", "swift_written.safetensors",
                                "hf/sharded_safetensors/model-00001-of-00002.safetensors",
                                "hf/sharded_safetensors/model-00002-of-00002.safetensors"]]
safetensors += ["Tests/ParityTests/Fixtures/decoder_only_preln/inputs.safetensors",
                "Tests/ParityTests/Fixtures/seq2seq_preln_gelu/inputs.safetensors"]
for path in safetensors:
    put("Safetensors", read(path))

for data in torch_files():
    put("PyTorch", data)
    try:
        z = zipfile.ZipFile(__import__("io").BytesIO(data))
        put("Pickle", next(z.read(n) for n in z.namelist() if n.endswith("/data.pkl")))
    except (zipfile.BadZipFile, StopIteration):
        pass

for path in [CK + "hf/sharded_safetensors/model.safetensors.index.json", CK + "hf/sharded_bin/pytorch_model.bin.index.json",
             CK + "hf/hostile/missing_shard/model.safetensors.index.json"]:
    put("ShardIndex", read(path))

tokenizers = ["hf_whitespace", "hf_metaspace_unk", "hf_splits", "hf_gpt2", "hf_llama_style", "hf/wordlevel",
              "hf/bert_cased", "ours_wordpiece"]
for name in tokenizers:
    put("TokenizerJSON", read(TK + name + ".json"))

configs = ["Tests/ParityTests/Fixtures/%s/config.json" % d for d in
           ["decoder_only_preln", "encoder_only_postln_gelu", "seq2seq_postln_gelu_nosmoothing", "seq2seq_preln_gelu"]]
configs.append("models/multi30k-de-en/config.json")
for path in configs:
    put("ModelConfig", read(path))

put("TrainingConfig", read("configs/multi30k-de-en.json"))
put("TrainingConfig", b'{"task": "language-model", "model_preset": "tiny", "model": {"dropout": 0.2}, "data": {"train_text": "t.txt"}}')
put("TrainingConfig", json.dumps({"task": "translation", "model": json.loads(read(configs[3])),
                                  "data": {"train_source": "a", "train_target": "b", "max_source_length": 32, "max_target_length": 32},
                                  "schedule": {"kind": "inverse-sqrt", "warmup": 10}, "training": {"max_steps": 5}}).encode())

for data in [read(p) for p in configs + ["configs/multi30k-de-en.json"]] + [safetensors_header(read(p)) for p in safetensors[:3]]:
    put("JSON", data)
put("JSON", read(CK + "hf/sharded_safetensors/model.safetensors.index.json"))
put("JSON", b'[1, -0.5e+3, "\\u00e9\\ud83d\\ude00\\n", true, false, null, {"a": {"b": []}}]')

# TokenizerEncode: byte 0 picks the tokenizer, byte 1 the options, the rest is the text.
lines = read(TK + "corpus.txt").decode().splitlines()[:6]
texts = lines + ["Hello, wörld! 東京 <s> [CLS] <eos> 123", "e\u0301\u0302 👨‍👩‍👧‍👦 \u200b\ufeff▁Ġ\r\n\t x", "  a  b  "]
for k, text in enumerate(texts):
    for which in range(29):
        if (which + k) % 3 == 0:
            put("TokenizerEncode", bytes([which, (which * 5 + k) % 16]) + text.encode())

# Regex: byte 0 is the pattern's length, then the pattern, then the text.
regex = json.loads(read(TK + "hf/regex.json"))
strings = regex["strings"]
for k, pattern in enumerate(regex["patterns"]):
    p = pattern.encode()
    if len(p) < 256:
        put("Regex", bytes([len(p)]) + p + strings[k % len(strings)].encode()[:200])

# SentencePiece: the small .model fixtures (the large ones would set libFuzzer's input size).
for name in ["unigram_probe", "char_identity", "unigram_suffix", "unigram_denorm", "bpe_unk"]:
    put("SentencePiece", read(TK + "spm/" + name + ".model"))

# HubConfig: the hub fixtures' config.json and generation_config.json.
hub = os.path.join(ROOT, "Tests/ParityTests/Fixtures/hub")
for d in sorted(os.listdir(hub)):
    for name in ["config.json", "generation_config.json"]:
        if os.path.exists(os.path.join(hub, d, name)):
            put("HubConfig", read("Tests/ParityTests/Fixtures/hub/%s/%s" % (d, name)))

# Marian: byte 0 picks the file the rest replaces (vocab.json, tokenizer_config.json,
# special_tokens_map.json); a small vocabulary rather than the fixture's 10 KB one.
put("Marian", b'\x00{"<unk>": 0, "</s>": 1, "<pad>": 2, "\xe2\x96\x81a": 3, "b": 4}')
put("Marian", b'\x01{"separate_vocabs": false, "target_lang": null}')
put("Marian", b'\x02{"eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>"}')
