#pragma once
// Batched generation with the KV cache: prompts are left-padded into one batch, each request
// draws from its own seeded generator (a request's sample does not depend on its neighbours'),
// and rows that finish leave the batch (their cache rows are dropped), so no compute is spent
// on them. Serves `amkd generate`, evaluation and training rollouts alike.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "generate/sampling.h"
#include "model/decoder.h"
#include "tokenizer/prompt_template.h"
#include "tokenizer/tokenizer.h"

namespace amkd {

struct GenerationRequest {
  std::vector<int64_t> prompt;  // at least one token
  uint64_t seed = 0;
};

struct GenerationResult {
  std::vector<int64_t> tokens;  // new tokens only; ends with the EOS when one stopped it
  std::string finish_reason;    // "eos", "stop" (the caller's stop check), "length"
};

struct GenerationConfig {
  SamplingParams sampling;
  int64_t max_new_tokens = 128;
  int64_t max_length =
      0;  // prompt + new tokens; 0: the model's limit for learned positions, else none
  std::vector<int64_t> eos_ids;
  int64_t pad_id = 0;
  // > 0: ids from here on (padded head rows, tokens the other model lacks) are never drawn.
  int64_t valid_vocab = 0;
  // Called after each new token of a row; true ends that row with finish_reason "stop"
  // (stop strings: the caller decodes and compares).
  std::function<bool(size_t request, const std::vector<int64_t>& tokens)> stop;
};

// The ids that end a response: the tokenizer's EOS and the model's (when they differ).
std::vector<int64_t> end_of_sequence_ids(const Tokenizer& tokenizer, const ModelConfig& config);
// The same, plus the token a (bound) chat template ends an assistant turn with, when it is
// another one (Llama-3's <|eot_id|> where EOS is <|end_of_text|>).
std::vector<int64_t> end_of_sequence_ids(const Tokenizer& tokenizer, const ModelConfig& config,
                                         const PromptTemplate& tmpl);

// Runs all requests as one batch (callers chunk large sets).
std::vector<GenerationResult> generate(CausalLMImpl& model,
                                       const std::vector<GenerationRequest>& requests,
                                       const GenerationConfig& config);

}  // namespace amkd
