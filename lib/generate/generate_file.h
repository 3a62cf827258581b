#pragma once
// `amkd generate` as a library call: prompts from an instruction set, rendered with a template,
// generated in batches, written as JSONL (id, prompt, response, ids, finish_reason).
#include <functional>
#include <string>
#include <vector>

#include "data/instruction_data.h"
#include "dist/shard.h"
#include "generate/generator.h"
#include "tokenizer/prompt_template.h"
#include "tokenizer/tokenizer.h"

namespace amkd {

struct GenerateFileOptions {
  GenerationConfig generation;  // eos_ids filled from the tokenizer and model when empty
  int64_t batch_size = 8;
  uint64_t seed = 10;  // prompt i uses seed + i
  std::vector<std::string> stop_strings;
  Shard shard;  // several processes: each generates its batches; the first rank writes the file
  std::function<void(int64_t done, int64_t total, int64_t new_tokens)> progress;
};

struct GenerateFileSummary {
  int64_t prompts = 0, new_tokens = 0;
  double seconds = 0;
};

GenerateFileSummary generate_file(CausalLMImpl& model, const Tokenizer& tokenizer,
                                  const PromptTemplate& tmpl, const std::vector<Example>& examples,
                                  const std::string& output, GenerateFileOptions options);

}  // namespace amkd
