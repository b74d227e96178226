"""Safetensors test fixtures: writes files with torch + safetensors, and checks ours.

Run by hand (tests and CI never need Python):

    /work/venv/bin/python scripts/safetensors_fixtures.py

1. Writes into Tests/CheckpointsTests/Fixtures/:
   - mixed.safetensors: every common dtype (F32, F16, BF16, F64, I64, I32, I16, I8,
     U8, BOOL), special float values, a scalar (shape []), a zero-size tensor, and
     metadata with two keys;
   - layout.safetensors: several dtypes and one metadata key, for the Swift test
     that re-serializes it and expects the very same bytes (with more than one key
     Python's metadata order is that of a Rust HashMap, so not reproducible);
   - expected.json: dtype, shape and values of every tensor (floats as the bit
     patterns of their Float32 values, so NaN and -0 compare exactly), and metadata.
2. Checks swift_written.safetensors, which the Swift test
   `SwiftWrittenFixtureTests.testSwiftWrittenFileIsCurrent` produces when run with
   UPDATE_FIXTURES=1: Python's safetensors must load it with the expected values,
   and Python's own `save` of the same tensors must give identical bytes.
"""

import json
import math
import pathlib
import struct
import sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save, save_file

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "CheckpointsTests" / "Fixtures"

SPECIAL = [0.0, -0.0, 1.0, -2.5, math.inf, -math.inf, math.nan, 65504.0, 6e-8, 1e-40, 3.0e38, 0.1]


def mixed_tensors():
    return {
        "weights.f32": torch.tensor([[0.5, -1.25, 3.0], [1e-3, -7.0e20, 1e-45]], dtype=torch.float32),
        "special.f32": torch.tensor(SPECIAL, dtype=torch.float32),
        "special.f16": torch.tensor(SPECIAL, dtype=torch.float32).to(torch.float16),
        "special.bf16": torch.tensor(SPECIAL, dtype=torch.float32).to(torch.bfloat16),
        "values.f64": torch.tensor([1.0 / 3.0, -1e300, 2.5], dtype=torch.float64),
        "ids.i64": torch.tensor([[0, -1], [2**62, -(2**63)]], dtype=torch.int64),
        "ids.i32": torch.tensor([7, -(2**31), 2**31 - 1], dtype=torch.int32),
        "ids.i16": torch.tensor([-32768, 32767], dtype=torch.int16),
        "ids.i8": torch.tensor([-128, 127, 0], dtype=torch.int8),
        "ids.u8": torch.tensor([0, 255, 17], dtype=torch.uint8),
        "mask.bool": torch.tensor([True, False, True, True], dtype=torch.bool),
        "scalar.f32": torch.tensor(3.5, dtype=torch.float32),
        "empty.f32": torch.zeros((0, 3), dtype=torch.float32),
    }


def layout_tensors():
    return {
        "b.f32": torch.arange(6, dtype=torch.float32).reshape(2, 3),
        "a.f32": torch.tensor([1.5], dtype=torch.float32),
        "c.bf16": torch.tensor([1.0, 2.0], dtype=torch.bfloat16),
        "d.i64": torch.tensor([5], dtype=torch.int64),
        "e.bool": torch.tensor([True], dtype=torch.bool),
        "f.f16": torch.tensor([0.25, -4.0, 8.0], dtype=torch.float16),
        "g.u8": torch.tensor([9, 8, 7], dtype=torch.uint8),
    }


def swift_written_tensors():
    """Mirrors `SwiftWrittenFixtureTests.tensors` in Swift; keep the two in step."""
    ties = torch.tensor([1.0 + 2.0**-11, 65520.0, 2.0**-25, 1.0 + 3 * 2.0**-11], dtype=torch.float32)
    bf16_ties = torch.tensor([1.00390625, 1.01171875, -3.0e38, 3.4028234663852886e38], dtype=torch.float32)
    return {
        "decoder.weight": torch.tensor([[0.5, -1.25, 3.0], [0.0, -0.0, 1024.5]], dtype=torch.float32),
        "norm.f16": ties.to(torch.float16),
        "embedding.bf16": bf16_ties.reshape(2, 2).to(torch.bfloat16),
        "steps": torch.tensor(1234567890123, dtype=torch.int64),
        "positions": torch.tensor([0, -1, 2**31 - 1, -(2**31)], dtype=torch.int32),
        "mask": torch.tensor([True, False, True], dtype=torch.bool),
        "empty": torch.zeros((0,), dtype=torch.float32),
    }


SWIFT_METADATA = {"format": "pt"}

DTYPE_NAMES = {
    torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64",
    torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
    torch.uint8: "U8", torch.bool: "BOOL",
}


def expected(tensors):
    out = {}
    for name, t in tensors.items():
        entry = {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape)}
        if t.is_floating_point():
            as_f32 = t.to(torch.float32).reshape(-1)
            entry["f32_bits"] = [struct.unpack("<I", struct.pack("<f", v))[0] for v in as_f32.tolist()]
        else:
            entry["ints"] = [int(v) for v in t.reshape(-1).tolist()]
        out[name] = entry
    return out


def write_fixtures():
    FIXTURES.mkdir(parents=True, exist_ok=True)
    mixed_meta = {"format": "pt", "source": "scripts/safetensors_fixtures.py"}
    layout_meta = {"format": "pt"}
    save_file(mixed_tensors(), FIXTURES / "mixed.safetensors", metadata=mixed_meta)
    save_file(layout_tensors(), FIXTURES / "layout.safetensors", metadata=layout_meta)
    doc = {
        "mixed.safetensors": {"metadata": mixed_meta, "tensors": expected(mixed_tensors())},
        "layout.safetensors": {"metadata": layout_meta, "tensors": expected(layout_tensors())},
    }
    (FIXTURES / "expected.json").write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    print(f"wrote fixtures to {FIXTURES}")


def check_swift_written():
    path = FIXTURES / "swift_written.safetensors"
    if not path.exists():
        print(f"{path.name} missing: run UPDATE_FIXTURES=1 swift test -c release --filter SwiftWrittenFixtureTests")
        return False
    want = swift_written_tensors()
    got = load_file(path)
    ok = sorted(got) == sorted(want)
    for name, tensor in want.items():
        if name in got and not (got[name].dtype == tensor.dtype and got[name].shape == tensor.shape
                                and torch.equal(got[name], tensor)):
            print(f"{path.name}: tensor {name} differs: {got[name]!r} != {tensor!r}")
            ok = False
    with safe_open(path, framework="pt") as f:
        if f.metadata() != SWIFT_METADATA:
            print(f"{path.name}: metadata {f.metadata()} != {SWIFT_METADATA}")
            ok = False
    if save(want, metadata=SWIFT_METADATA) != path.read_bytes():
        print(f"{path.name}: bytes differ from Python's own save of the same tensors")
        ok = False
    print(f"{path.name}: {'loads in Python with the expected values and identical bytes' if ok else 'FAILED'}")
    return ok


if __name__ == "__main__":
    write_fixtures()
    sys.exit(0 if check_swift_written() else 1)
