"""Hugging Face weight-file fixtures: torch.save archives, sharded checkpoints, hostile files.

Run by hand (tests and CI never need Python):

    /work/venv/bin/python scripts/hf_weight_fixtures.py

Writes into Tests/CheckpointsTests/Fixtures/hf/ (a few KB each):

- bin_model/pytorch_model.bin: torch.save of an nn.Module's state_dict (an OrderedDict with
  _metadata, as Hugging Face writes pytorch_model.bin) plus float16, bfloat16, float64, int32,
  bool, a scalar, an empty tensor, a transposed view, views sharing one storage (a row, a
  column slice), an expanded view (stride 0), a Parameter, and a tied tensor (the same object
  under two names);
- protocol4.bin: the same state dict pickled with protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL);
- zip64.bin: the records of bin_model repacked with zip64 central-directory and end records;
- nested.bin: a training-style checkpoint, {"model": state_dict, "optimizer": {"state": {0:
  {...}}}, "step": 7, ...}: nested dicts of tensors, and values that are not tensors;
- sharded_safetensors/, sharded_bin/: the state dict (contiguous copies) split into shards with
  huggingface_hub.save_torch_state_dict, with model.safetensors.index.json and
  pytorch_model.bin.index.json;
- expected.json: for each of those, every tensor's dtype, shape and values (floats as the bit
  patterns of their float32 values, integers as integers);
- hostile/: files that must give a clear error and never run code: pickles calling os.system
  (GLOBAL) and builtins.eval (STACK_GLOBAL), an INST opcode, a truncated archive, a compressed
  entry, a missing storage record, a view past its storage, a big-endian byte order, a pickle
  that is not a state dict, a NaN weight, the legacy (pre-1.6) format, and an index naming a
  missing shard. The hostile pickles are assembled from raw opcodes and never loaded here.
"""

import collections
import json
import pathlib
import shutil
import struct
import zipfile
import zlib

import torch
from huggingface_hub import save_torch_state_dict

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "CheckpointsTests" / "Fixtures" / "hf"

DTYPE_NAMES = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
    torch.int64: "I64", torch.int32: "I32", torch.bool: "BOOL",
}


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(6, 4)
        self.proj = torch.nn.Linear(4, 3)
        # As BERT registers position_ids: an arange expanded to [1, n] (stride 0 on the size-1 axis).
        self.register_buffer("position_ids", torch.arange(5).expand((1, -1)))


def state_dict():
    torch.manual_seed(0)
    sd = Tiny().state_dict()
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4) / 8
    sd["half.weight"] = torch.randn(2, 3).half()
    sd["half.transposed"] = sd["half.weight"].t()
    sd["bf16.weight"] = torch.randn(3, 2).bfloat16()
    sd["transposed"] = base.t()
    sd["row"] = base[1]
    sd["columns"] = base[:, 1:3]
    sd["expanded"] = torch.tensor([1.5, -2.0, 0.25]).expand(2, 3)
    sd["values.f64"] = torch.tensor([1.0 / 3.0, -1e30, 2.5], dtype=torch.float64)
    sd["ids.i32"] = torch.tensor([7, -(2**31), 2**31 - 1], dtype=torch.int32)
    sd["mask"] = torch.tensor([True, False, True])
    sd["scalar"] = torch.tensor(3.5)
    sd["empty"] = torch.zeros(0, 3)
    sd["param"] = torch.nn.Parameter(torch.tensor([0.5, -0.5]))
    sd["tied.weight"] = sd["embed.weight"]
    return sd


def nested_checkpoint():
    torch.manual_seed(1)
    model = torch.nn.Linear(2, 2)
    return {
        "model": model.state_dict(),
        "optimizer": {"state": {0: {"exp_avg": torch.ones(2, 2) / 4, "step": torch.tensor(3.0)}}, "param_groups": [{"lr": 0.1}]},
        "step": 7,
        "lr": 0.5,
        "name": "run",
        "flags": [1, 2],
    }


def expected(tensors):
    out = {}
    for name, t in tensors.items():
        t = t.detach()
        entry = {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape)}
        if t.dtype.is_floating_point:
            entry["f32_bits"] = [struct.unpack("<I", struct.pack("<f", v))[0] for v in t.float().flatten().tolist()]
        else:
            entry["ints"] = [int(v) for v in t.flatten().tolist()]
        out[name] = entry
    return out


def flat(checkpoint, prefix=""):
    """The tensors of nested dicts, keys joined with dots: what the Swift reader lists."""
    out = {}
    for key, value in checkpoint.items():
        name = prefix + str(key)
        if isinstance(value, torch.Tensor):
            out[name] = value
        elif isinstance(value, dict):
            out.update(flat(value, name + "."))
    return out


# --- zip archives like torch.save's, written by hand so that they can be broken on purpose ---

def write_zip(path, records, zip64=False, compress=()):
    """Stored records (name, bytes), each aligned to 64 bytes by a padding extra field as
    torch's writer does; `compress` names records to deflate; `zip64` writes every size and
    offset through zip64 extra fields and the zip64 end records."""
    out = bytearray()
    central = bytearray()
    for name, data in records:
        raw = name.encode()
        method, stored = 0, data
        if name in compress:
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            method, stored = 8, c.compress(data) + c.flush()
        offset = len(out)
        pad = (-(offset + 30 + len(raw) + 4)) % 64
        extra = struct.pack("<HH", 0x4246, pad) + b"Z" * pad
        crc = zlib.crc32(data)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc, len(stored), len(data), len(raw), len(extra))
        out += raw + extra + stored
        if zip64:
            extra64 = struct.pack("<HHQQQ", 0x0001, 24, len(data), len(stored), offset)
            sizes = (0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
        else:
            extra64, sizes = b"", (len(stored), len(data), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, method, 0, 0, crc, sizes[0], sizes[1],
                               len(raw), len(extra64), 0, 0, 0, 0, sizes[2])
        central += raw + extra64
    cd_offset = len(out)
    out += central
    count = len(records)
    if zip64:
        end64 = len(out)
        out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, len(central), cd_offset)
        out += struct.pack("<IIQI", 0x07064B50, 0, end64, 1)
        out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    else:
        out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(central), cd_offset, 0)
    path.write_bytes(bytes(out))


def records_of(path):
    """The records of a zip archive we wrote ourselves (reading a zip runs no pickle)."""
    with zipfile.ZipFile(path) as z:
        return [(info.filename, z.read(info.filename)) for info in z.infolist()]


def torch_records(pickle_bytes, storages=(), byteorder=b"little"):
    return [("archive/data.pkl", pickle_bytes), ("archive/byteorder", byteorder)] + \
        [(f"archive/data/{k}", v) for k, v in storages] + [("archive/version", b"3\n")]


# --- raw pickle opcodes, for pickles that must never be built by running Python objects ---

def u(s):
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def k(n):
    return b"K" + bytes([n])


def glob(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def rebuild(key, numel, offset, size, stride, storage="FloatStorage"):
    """A _rebuild_tensor_v2 call as torch.save writes it (sizes below 256)."""
    tup = lambda xs: b"(" + b"".join(k(x) for x in xs) + b"t"
    return (glob("torch._utils", "_rebuild_tensor_v2") + b"((" + u("storage") + glob("torch", storage) + u(key) + u("cpu")
            + k(numel) + b"tQ" + k(offset) + tup(size) + tup(stride) + b"\x89" + glob("collections", "OrderedDict") + b")Rt" + b"R")


def state_dict_pickle(items):
    return b"\x80\x02" + glob("collections", "OrderedDict") + b")R(" + b"".join(u(n) + v for n, v in items) + b"u."


def write_hostile(valid_bin):
    h = OUT / "hostile"
    h.mkdir()
    floats = struct.pack("<4f", 1, 2, 3, 4)
    write_zip(h / "os_system.bin", torch_records(b"\x80\x02" + glob("os", "system") + u("echo owned") + b"\x85R."))
    short = lambda text: b"\x8c" + bytes([len(text)]) + text.encode() + b"\x94"  # SHORT_BINUNICODE, MEMOIZE
    eval_pickle = b"\x80\x04" + short("builtins") + short("eval") + b"\x93\x94" + short("__import__('os')") + b"\x85\x94R\x94."
    write_zip(h / "builtins_eval.bin", torch_records(eval_pickle))
    write_zip(h / "inst_opcode.bin", torch_records(b"\x80\x02(" + u("echo owned") + b"ios\nsystem\n."))
    data = valid_bin.read_bytes()
    (h / "truncated.bin").write_bytes(data[: len(data) // 2])
    records = records_of(valid_bin)
    write_zip(h / "compressed.bin", records, compress={records[0][0]})
    dropped = [r for r in records if not r[0].endswith("/data/1")]
    assert len(dropped) == len(records) - 1
    write_zip(h / "missing_storage.bin", dropped)
    past = state_dict_pickle([("w", rebuild("0", 4, 0, (3, 4), (4, 1)))])
    write_zip(h / "view_past_storage.bin", torch_records(past, [("0", floats)]))
    ok = state_dict_pickle([("w", rebuild("0", 4, 0, (2, 2), (2, 1)))])
    write_zip(h / "big_endian.bin", torch_records(ok, [("0", floats)], byteorder=b"big"))
    write_zip(h / "short_storage.bin", torch_records(ok, [("0", floats[:12])]))
    not_dict = b"\x80\x02]" + rebuild("0", 4, 0, (4,), (1,)) + b"a."
    write_zip(h / "not_a_state_dict.bin", torch_records(not_dict, [("0", floats)]))
    nan = struct.pack("<4f", 1, 2, float("nan"), 4)
    write_zip(h / "nan.bin", torch_records(ok, [("0", nan)]))
    buffer = h / "legacy.bin"
    torch.save({"w": torch.ones(2)}, buffer, _use_new_zipfile_serialization=False)
    shards = h / "missing_shard"
    shards.mkdir()
    index = OUT / "sharded_safetensors" / "model.safetensors.index.json"
    shutil.copy(index, shards)
    first = sorted(set(json.loads(index.read_text())["weight_map"].values()))[0]
    shutil.copy(OUT / "sharded_safetensors" / first, shards)


def main():
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    sd = state_dict()
    want = {}

    (OUT / "bin_model").mkdir()
    valid_bin = OUT / "bin_model" / "pytorch_model.bin"
    torch.save(sd, valid_bin)
    want["bin_model/pytorch_model.bin"] = expected(sd)
    torch.save(sd, OUT / "protocol4.bin", pickle_protocol=4)
    want["protocol4.bin"] = want["bin_model/pytorch_model.bin"]
    write_zip(OUT / "zip64.bin", records_of(valid_bin), zip64=True)
    want["zip64.bin"] = want["bin_model/pytorch_model.bin"]
    # Python's zipfile and torch read our zip64 archive too.
    zipped = torch.load(OUT / "zip64.bin", weights_only=True)
    assert all(torch.equal(zipped[n], sd[n]) for n in sd)

    nested = nested_checkpoint()
    torch.save(nested, OUT / "nested.bin")
    want["nested.bin"] = expected(flat(nested))

    contiguous = {n: t.detach().contiguous().clone() for n, t in sd.items()}
    (OUT / "sharded_safetensors").mkdir()
    (OUT / "sharded_bin").mkdir()
    save_torch_state_dict(contiguous, OUT / "sharded_safetensors", max_shard_size=300)
    save_torch_state_dict(contiguous, OUT / "sharded_bin", max_shard_size=300, safe_serialization=False)
    for directory in ["sharded_safetensors", "sharded_bin"]:
        index = next((OUT / directory).glob("*.index.json"))
        shards = set(json.loads(index.read_text())["weight_map"].values())
        assert len(shards) >= 2, f"{directory}: {shards}"
        want[directory] = expected(contiguous)

    (OUT / "expected.json").write_text(json.dumps(want, indent=1, sort_keys=True) + "\n")
    write_hostile(valid_bin)
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    print(f"wrote {OUT} ({total} bytes)")


if __name__ == "__main__":
    main()
