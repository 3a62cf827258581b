#pragma once
// A llama-architecture GGUF file (llama.cpp's format) turned into a Hugging Face checkpoint:
// config.json from the llama.* metadata, every tensor dequantised to fp32 under its HF name with
// the q/k row permutation of llama.cpp's converter undone, and the tokenizer files rebuilt.
#include <string>

#include "model/decoder.h"

namespace amkd {

struct GgufImport {
  CausalLM model = nullptr;                      // fp32, on the CPU
  std::map<std::string, std::string> tokenizer;  // file name -> content
  std::map<std::string, int64_t> tensor_types;   // ggml type name -> tensor count
};

// Throws InputError naming the file and the metadata key or tensor that cannot be used.
GgufImport import_gguf(const std::string& path);

}  // namespace amkd
