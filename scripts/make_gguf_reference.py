#!/usr/bin/env python3
"""GGUF fixture for tests/unit/test_gguf.cpp, written and dequantised by the gguf package
(llama.cpp's own Python reader/writer), not by amkd.

Usage: python scripts/make_gguf_reference.py OUT_DIR

Writes OUT_DIR/quants.gguf: metadata of every value type, and one tensor per storage type amkd
reads, filled with random blocks (scales drawn as finite fp16 values, the other bytes uniform),
some 2-D; and OUT_DIR/quants_expected.safetensors: each tensor as gguf.quants.dequantize gives it.
"""
import os
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q
from safetensors.numpy import save_file

# type -> byte offsets of its fp16 scale fields inside a block (ggml-common.h).
SCALES = {
    Q.Q4_0: [0], Q.Q4_1: [0, 2], Q.Q5_0: [0], Q.Q5_1: [0, 2], Q.Q8_0: [0],
    Q.Q2_K: [80, 82], Q.Q3_K: [108], Q.Q4_K: [0, 2], Q.Q5_K: [0, 2], Q.Q6_K: [208],
}


def random_blocks(rng, qtype, rows, cols):
    block, size = gguf.GGML_QUANT_SIZES[qtype]
    n_blocks = rows * cols // block
    raw = rng.integers(0, 256, size=(n_blocks, size), dtype=np.uint8)
    for off in SCALES[qtype]:
        scale = rng.uniform(-0.05, 0.05, size=n_blocks).astype(np.float16)
        raw[:, off:off + 2] = scale.view(np.uint8).reshape(n_blocks, 2)
    return raw.reshape(rows, cols // block * size)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)
    w = gguf.GGUFWriter(os.path.join(out, "quants.gguf"), arch="llama")
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -100)
    w.add_uint16("test.u16", 60000)
    w.add_int16("test.i16", -30000)
    w.add_uint32("test.u32", 4000000000)
    w.add_int32("test.i32", -2000000000)
    w.add_float32("test.f32", 0.25)
    w.add_uint64("test.u64", 2**63 + 5)
    w.add_int64("test.i64", -(2**62))
    w.add_float64("test.f64", -1.5e300)
    w.add_bool("test.bool", True)
    w.add_string("test.string", "naïve ✓")
    w.add_array("test.strings", ["a", "", "b c"])
    w.add_array("test.ints", [1, -2, 3])
    expected = {}
    for qtype, (rows, cols) in [(Q.Q4_0, (3, 64)), (Q.Q4_1, (2, 96)), (Q.Q5_0, (2, 64)),
                                (Q.Q5_1, (1, 128)), (Q.Q8_0, (4, 32)), (Q.Q2_K, (2, 256)),
                                (Q.Q3_K, (2, 512)), (Q.Q4_K, (3, 256)), (Q.Q5_K, (2, 256)),
                                (Q.Q6_K, (2, 512))]:
        raw = random_blocks(rng, qtype, rows, cols)
        name = f"t.{qtype.name}"
        w.add_tensor(name, raw, raw_dtype=qtype)
        expected[name] = gguf.quants.dequantize(raw, qtype).astype(np.float32).reshape(rows, cols)
    f32 = rng.standard_normal((5, 7)).astype(np.float32)
    f16 = rng.standard_normal((3, 4)).astype(np.float16)
    bf16_bits = (rng.standard_normal(6).astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)
    w.add_tensor("t.F32", f32)
    w.add_tensor("t.F16", f16)
    w.add_tensor("t.BF16", bf16_bits.view(np.uint8).reshape(1, 12), raw_dtype=Q.BF16)
    expected["t.F32"] = f32
    expected["t.F16"] = f16.astype(np.float32)
    expected["t.BF16"] = (bf16_bits.astype(np.uint32) << 16).view(np.float32).reshape(1, 6)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    save_file(expected, os.path.join(out, "quants_expected.safetensors"))
    print(f"wrote {len(expected)} tensors to {out}/quants.gguf")


if __name__ == "__main__":
    main()
