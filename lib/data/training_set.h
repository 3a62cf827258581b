#pragma once
// Instruction examples made into training sequences: prompt rendered with the template,
// prompt and response tokenized, both cut to the recipe's length limits (counted), and
// collated into right-padded batches whose loss mask covers response tokens only.
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "config/recipe.h"
#include "data/instruction_data.h"
#include "tokenizer/prompt_template.h"

namespace amkd {

struct LengthLimits {
  int64_t max_prompt_length = 256;  // prompt tokens kept (the beginning, as MiniLLM keeps)
  int64_t max_length = 512;         // prompt + response tokens kept
  bool skip_long = false;           // drop examples over a limit instead of cutting them
};

struct EncodedSet {
  std::vector<EncodedExample> examples;
  std::vector<std::string> ids;     // the examples' ids, in the same order
  int64_t truncated_prompts = 0;    // prompts cut to max_prompt_length
  int64_t truncated_responses = 0;  // responses (with their EOS) cut to fit max_length
  int64_t skipped_long = 0;         // examples dropped for a limit (LengthLimits::skip_long)
  int64_t tokens = 0;               // tokens kept, all examples
  int64_t response_tokens = 0;      // tokens kept with loss mask 1
  int64_t offset_masks = 0;         // chat conversations masked by character offsets (see
                                    // encode_chat)
};

// Requires limits.max_prompt_length < limits.max_length, so every sequence keeps at least one
// response token. A chat template (bound to the tokenizer) encodes each example as a conversation
// (encode_chat): messages data whole, other data as one system/user/assistant exchange; the
// prompt is what comes before the first assistant turn.
EncodedSet encode_training_set(const Tokenizer& tokenizer, const PromptTemplate& tmpl,
                               const std::vector<Example>& examples, const LengthLimits& limits);

// Prompt ids followed by a response (generated or cached tokens, their EOS included), cut at
// max_length; the loss mask covers the response.
EncodedExample response_sequence(std::vector<int64_t> prompt, const std::vector<int64_t>& response,
                                 int64_t max_length);

// A right-padded batch: position t predicts targets[t] = ids[t + 1]; target_mask is 1 where
// that next token is a response token of the example (never on padding).
struct TrainBatch {
  torch::Tensor input_ids;    // [B, T] int64
  torch::Tensor targets;      // [B, T] int64 (pad_id where masked)
  torch::Tensor target_mask;  // [B, T] bool
  int64_t target_count = 0;   // target_mask.sum()
};

TrainBatch collate_training_batch(const std::vector<const EncodedExample*>& examples,
                                  int64_t pad_id);

// data.train (and data.valid, or data.valid_size held out by train.seed) loaded, checked and
// encoded with the recipe's template and limits; skipped lines and truncations are reported on
// `console`. The training set must not be empty.
struct TrainingData {
  EncodedSet train, valid;
};
TrainingData load_training_data(const DataSection& data, const Tokenizer& tokenizer, uint64_t seed,
                                std::ostream& console);

}  // namespace amkd
