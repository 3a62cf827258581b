#pragma once
// The tokenizer files a GGUF file's tokenizer.* metadata describes, rebuilt the way transformers'
// GGUF loader rebuilds them (byte-level BPE, tokenizer.ggml.model "gpt2"): tokenizer.json with
// the vocabulary, merges, control tokens as special added tokens and the pre-tokenizer split for
// tokenizer.ggml.pre; tokenizer_config.json with the special tokens and the chat template.
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace amkd {

// File name -> content. `source` names the GGUF file in errors (InputError).
std::map<std::string, std::string> tokenizer_files_from_gguf(const nlohmann::json& metadata,
                                                             const std::string& source);

}  // namespace amkd
