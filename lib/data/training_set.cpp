#include "data/training_set.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "common/errors.h"
#include "data/batching.h"
#include "tokenizer/chat_template.h"

namespace amkd {
namespace {

// The conversation a chat template renders: messages data as a whole, other data as one turn.
std::vector<ChatMessage> chat_conversation(const Example& example) {
  if (!example.messages.empty()) return example.messages;
  std::vector<ChatMessage> turns = chat_prompt_messages(
      example.system, example.prompt.empty()
                          ? (example.input.empty() ? example.instruction
                                                   : example.instruction + "\n\n" + example.input)
                          : example.prompt);
  turns.push_back({"assistant", example.response});
  return turns;
}

}  // namespace

EncodedSet encode_training_set(const Tokenizer& tokenizer, const PromptTemplate& tmpl,
                               const std::vector<Example>& examples, const LengthLimits& limits) {
  if (limits.max_prompt_length <= 0 || limits.max_prompt_length >= limits.max_length)
    throw std::invalid_argument("encode_training_set: need 0 < max_prompt_length < max_length");
  EncodedSet set;
  set.examples.reserve(examples.size());
  const PromptTemplate bound = tmpl.bound_to(tokenizer);
  for (const Example& example : examples) {
    EncodedExample e;
    if (tmpl.is_chat()) {
      ChatEncoding chat;
      try {
        chat = encode_chat(tokenizer, *bound.chat(), chat_conversation(example));
      } catch (const InputError& err) {
        throw InputError(fmt::format("example {}: {}", example.id, err.what()));
      }
      e = std::move(chat.example);
      if (chat.offset_mask) ++set.offset_masks;
    } else {
      e = encode_example(tokenizer, prompt_text(tmpl, example), example.response);
    }
    if (limits.skip_long && (e.prompt_length > limits.max_prompt_length ||
                             static_cast<int64_t>(e.ids.size()) > limits.max_length)) {
      ++set.skipped_long;
      continue;
    }
    if (e.prompt_length > limits.max_prompt_length) {
      e.ids.erase(e.ids.begin() + limits.max_prompt_length, e.ids.begin() + e.prompt_length);
      e.loss_mask.erase(e.loss_mask.begin() + limits.max_prompt_length,
                        e.loss_mask.begin() + e.prompt_length);
      e.prompt_length = limits.max_prompt_length;
      ++set.truncated_prompts;
    }
    if (static_cast<int64_t>(e.ids.size()) > limits.max_length) {
      e.ids.resize(limits.max_length);
      e.loss_mask.resize(limits.max_length);
      ++set.truncated_responses;
    }
    set.tokens += static_cast<int64_t>(e.ids.size());
    set.response_tokens += std::count(e.loss_mask.begin(), e.loss_mask.end(), 1);
    set.examples.push_back(std::move(e));
    set.ids.push_back(example.id);
  }
  return set;
}

EncodedExample response_sequence(std::vector<int64_t> prompt, const std::vector<int64_t>& response,
                                 int64_t max_length) {
  EncodedExample e;
  e.ids = std::move(prompt);
  e.prompt_length = static_cast<int64_t>(e.ids.size());
  e.ids.insert(e.ids.end(), response.begin(), response.end());
  if (static_cast<int64_t>(e.ids.size()) > max_length) e.ids.resize(max_length);
  e.loss_mask.assign(e.ids.size(), 1);
  std::fill(e.loss_mask.begin(), e.loss_mask.begin() + e.prompt_length, 0);
  return e;
}

TrainBatch collate_training_batch(const std::vector<const EncodedExample*>& examples,
                                  int64_t pad_id) {
  if (examples.empty()) throw std::invalid_argument("collate_training_batch: empty batch");
  const auto batch = static_cast<int64_t>(examples.size());
  int64_t length = 0;
  for (const auto* e : examples) length = std::max(length, static_cast<int64_t>(e->ids.size()));
  auto ids = torch::full({batch, length}, pad_id, torch::kInt64);
  auto targets = torch::full({batch, length}, pad_id, torch::kInt64);
  auto mask = torch::zeros({batch, length}, torch::kBool);
  auto ids_a = ids.accessor<int64_t, 2>();
  auto targets_a = targets.accessor<int64_t, 2>();
  auto mask_a = mask.accessor<bool, 2>();
  TrainBatch out;
  for (int64_t b = 0; b < batch; ++b) {
    const EncodedExample& e = *examples[b];
    const auto n = static_cast<int64_t>(e.ids.size());
    for (int64_t t = 0; t < n; ++t) ids_a[b][t] = e.ids[t];
    for (int64_t t = 0; t + 1 < n; ++t) {
      if (!e.loss_mask[t + 1]) continue;
      targets_a[b][t] = e.ids[t + 1];
      mask_a[b][t] = true;
      ++out.target_count;
    }
  }
  out.input_ids = ids;
  out.targets = targets;
  out.target_mask = mask;
  return out;
}

}  // namespace amkd

namespace amkd {
namespace {

LoadedData load_reported(const std::string& path, const DataSection& data, std::ostream& console) {
  const LoadedData loaded = load_instruction_data(
      path, {parse_data_format(data.format, "data.format"), data.on_bad_line == "skip", true});
  if (loaded.skipped > 0)
    console << fmt::format("{}: skipped {} bad line{} (first: {})\n", path, loaded.skipped,
                           loaded.skipped == 1 ? "" : "s", loaded.first_skip_reason);
  return loaded;
}

EncodedSet encode_reported(const std::string& what, const std::vector<Example>& examples,
                           const DataSection& data, const Tokenizer& tokenizer,
                           std::ostream& console) {
  const PromptTemplate tmpl(data.prompt_template, "data.template", tokenizer);
  EncodedSet set = encode_training_set(
      tokenizer, tmpl, examples, {data.max_prompt_length, data.max_length, data.on_long == "skip"});
  console << fmt::format("{}: {} examples, {} tokens ({} response tokens)\n", what,
                         set.examples.size(), set.tokens, set.response_tokens);
  if (set.skipped_long > 0)
    console << fmt::format(
        "{}: skipped {} example{} longer than data.max_prompt_length={} or data.max_length={} "
        "tokens (data.on_long: skip)\n",
        what, set.skipped_long, set.skipped_long == 1 ? "" : "s", data.max_prompt_length,
        data.max_length);
  if (set.truncated_prompts > 0)
    console << fmt::format(
        "{}: {} prompt{} longer than data.max_prompt_length={} tokens kept {} beginning\n", what,
        set.truncated_prompts, set.truncated_prompts == 1 ? "" : "s", data.max_prompt_length,
        set.truncated_prompts == 1 ? "its" : "their");
  if (set.offset_masks > 0)
    console << fmt::format(
        "{}: {} conversation{} tokenize differently piece by piece than whole; their loss masks "
        "come from character offsets (tokens overlapping an assistant turn)\n",
        what, set.offset_masks, set.offset_masks == 1 ? "" : "s");
  if (set.truncated_responses > 0)
    console << fmt::format("{}: {} response{} cut to fit data.max_length={} tokens\n", what,
                           set.truncated_responses, set.truncated_responses == 1 ? "" : "s",
                           data.max_length);
  return set;
}

}  // namespace

TrainingData load_training_data(const DataSection& data, const Tokenizer& tokenizer, uint64_t seed,
                                std::ostream& console) {
  if (data.train.empty())
    throw InputError("data.train: no training data given (set it in the recipe or with --data)");
  LoadedData train = load_reported(data.train, data, console);
  std::vector<Example> valid;
  if (!data.valid.empty()) {
    valid = load_reported(data.valid, data, console).examples;
  } else if (data.valid_size > 0) {
    const size_t n = train.examples.size();
    const Split split =
        split_train_valid(n, std::min<size_t>(static_cast<size_t>(data.valid_size), n / 10), seed);
    std::vector<Example> kept;
    for (size_t i : split.train) kept.push_back(std::move(train.examples[i]));
    for (size_t i : split.valid) valid.push_back(std::move(train.examples[i]));
    train.examples = std::move(kept);
  }
  if (train.examples.empty())
    throw InputError(fmt::format("{}: no usable training examples", data.train));
  TrainingData out;
  out.train = encode_reported("train", train.examples, data, tokenizer, console);
  if (out.train.examples.empty())
    throw InputError(fmt::format(
        "{}: every training example is longer than the limits (data.on_long: skip)", data.train));
  if (!valid.empty()) out.valid = encode_reported("valid", valid, data, tokenizer, console);
  return out;
}

}  // namespace amkd
