#pragma once
// The responses a distillation step trains on, as token sequences with their loss masks:
// dataset responses, the teacher's or the student's samples generated now (through the shared
// generator), or teacher outputs made once and read from a cache.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "data/instruction_data.h"
#include "generate/generator.h"
#include "tokenizer/prompt_template.h"

namespace amkd {

// Prompt ids of an encoded example (its first prompt_length tokens).
std::vector<int64_t> prompt_ids(const EncodedExample& example);

// Prompt + generated tokens (the EOS included when it ended the response) as a training
// sequence. Each request's seed makes the sample reproducible; `max_length` caps the total.
std::vector<EncodedExample> sample_responses(CausalLMImpl& model,
                                             const std::vector<const EncodedExample*>& prompts,
                                             const std::vector<uint64_t>& seeds,
                                             GenerationConfig config, int64_t max_length);

// Teacher outputs from `amkd generate` (JSONL: id, and ids or response), by example id.
class TeacherCache {
 public:
  TeacherCache(const std::string& path, const Tokenizer& tokenizer);
  // The cached response after `example`'s prompt; InputError naming the file when the id is
  // missing.
  EncodedExample sequence(const std::string& id, const EncodedExample& example,
                          int64_t max_length) const;
  size_t size() const { return responses_.size(); }

 private:
  std::string path_;
  std::map<std::string, std::vector<int64_t>> responses_;
};

}  // namespace amkd
