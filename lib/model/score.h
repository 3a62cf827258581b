#pragma once
// Per-token log-probabilities of given token ids: logprobs[i] = log p(ids[i+1] | ids[..i]).
#include <functional>
#include <string>
#include <vector>

#include "model/decoder.h"

namespace amkd {

struct ScoreOptions {
  int64_t max_batch_tokens = 4096;  // padded tokens per forward
  int64_t vocab_chunk_rows = 512;   // positions per log-softmax chunk (bounds the fp32 logits)
  std::function<void(int64_t done, int64_t total)> progress;  // after each batch, in sequences
};

// One result per sequence, each of length max(0, len - 1). Sequences are batched by length
// with right padding (exact under the causal mask).
std::vector<std::vector<float>> score_sequences(CausalLMImpl& model,
                                                const std::vector<std::vector<int64_t>>& seqs,
                                                const ScoreOptions& options = {});

// JSONL in ({"ids": [...]} per line, other fields kept) -> JSONL out with "logprobs" added.
// Bad lines are InputErrors naming file and line. Returns the number of lines scored.
int64_t score_jsonl(CausalLMImpl& model, const std::string& input, const std::string& output,
                    const ScoreOptions& options = {});

}  // namespace amkd
