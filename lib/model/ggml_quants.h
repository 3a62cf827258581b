#pragma once
// ggml's tensor storage types and their dequantisation to fp32, written from llama.cpp's block
// layouts (ggml-common.h, ggml-quants.c). Checked against the gguf Python package's dequantize.
#include <cstdint>
#include <string>

namespace amkd {

struct GgmlType {
  const char* name;
  int64_t block_elements;  // values per block (1 for plain float types)
  int64_t block_bytes;
};

// The layout of a ggml type id, or nullptr for an id amkd cannot dequantise.
const GgmlType* ggml_type(uint32_t id);

// Dequantises `elements` values (a multiple of the block size) from `src` into `dst`.
void dequantize(uint32_t id, const uint8_t* src, float* dst, int64_t elements);

}  // namespace amkd
