#include "generate/generator.h"

#include <algorithm>

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>

#include "common/errors.h"
#include "model/logit_mask.h"
#include "tokenizer/chat_template.h"

namespace amkd {

std::vector<int64_t> end_of_sequence_ids(const Tokenizer& tokenizer, const ModelConfig& config) {
  std::vector<int64_t> ids;
  if (tokenizer.special().eos) ids.push_back(*tokenizer.special().eos);
  if (config.eos_token_id && *config.eos_token_id != tokenizer.special().eos.value_or(-1))
    ids.push_back(*config.eos_token_id);
  return ids;
}

std::vector<int64_t> end_of_sequence_ids(const Tokenizer& tokenizer, const ModelConfig& config,
                                         const PromptTemplate& tmpl) {
  std::vector<int64_t> ids = end_of_sequence_ids(tokenizer, config);
  if (tmpl.is_chat() && tmpl.chat())
    if (auto id = end_of_turn_id(tokenizer, *tmpl.chat()))
      if (std::find(ids.begin(), ids.end(), *id) == ids.end()) ids.push_back(*id);
  return ids;
}

namespace {

// Runs each prompt alone and places its keys and values in `cache` where left padding to
// `longest` puts them (right-aligned); the pad slots stay zero, and the attention mask hides
// them. Returns the last position's logits, on the CPU.
torch::Tensor prefill_by_row(CausalLMImpl& model, const std::vector<GenerationRequest>& requests,
                             int64_t longest, const GenerationConfig& config, KVCache& cache) {
  const int64_t B = static_cast<int64_t>(requests.size());
  const auto device = model.parameter(parameter_specs(model.config()).front().name).device();
  std::vector<torch::Tensor> rows;
  std::vector<KVCache> row_caches(B);
  for (int64_t b = 0; b < B; ++b) {
    torch::Tensor prompt = torch::tensor(requests[b].prompt, torch::kLong).view({1, -1});
    ForwardOptions options;
    options.cache = &row_caches[b];
    torch::Tensor hidden = model.hidden_states(prompt.to(device), options);
    rows.push_back(model.logits_from_hidden(hidden.select(1, -1)));
  }
  for (size_t layer = 0; layer < row_caches[0].keys.size(); ++layer) {
    const torch::Tensor& k0 = row_caches[0].keys[layer];
    const std::vector<int64_t> shape = {B, k0.size(1), longest + 64, k0.size(3)};
    cache.keys.push_back(torch::zeros(shape, k0.options()));
    cache.values.push_back(torch::zeros(shape, k0.options()));
    for (int64_t b = 0; b < B; ++b) {
      const int64_t n = row_caches[b].length();
      for (auto [to, from] :
           {std::pair{&cache.keys, &row_caches[b].keys}, {&cache.values, &row_caches[b].values}})
        (*to)[layer][b].narrow(1, longest - n, n).copy_((*from)[layer][0].narrow(1, 0, n));
    }
  }
  cache.filled = longest;
  torch::Tensor logits = torch::cat(rows, 0);
  if (config.valid_vocab > 0) logits = mask_padded_logits(logits, config.valid_vocab);
  return logits.to(torch::kCPU);
}

}  // namespace

std::vector<GenerationResult> generate(CausalLMImpl& model,
                                       const std::vector<GenerationRequest>& requests,
                                       const GenerationConfig& config) {
  c10::InferenceMode inference;
  const int64_t B = static_cast<int64_t>(requests.size());
  std::vector<GenerationResult> results(B);
  if (B == 0) return results;
  int64_t longest = 0;
  for (const auto& r : requests) {
    if (r.prompt.empty())
      throw InputError("generate: a prompt has no tokens (it needs at least a BOS)");
    longest = std::max<int64_t>(longest, static_cast<int64_t>(r.prompt.size()));
  }
  int64_t max_length = config.max_length;
  if (max_length <= 0 && model.config().family == Family::kGpt2)
    max_length = model.config().max_position_embeddings;
  if (max_length > 0 && longest >= max_length)
    throw InputError(
        fmt::format("generate: a prompt of {} tokens leaves no room below the length limit {}",
                    longest, max_length));

  // Left padding: every row's last prompt token sits in the last column.
  const auto device = model.parameter(parameter_specs(model.config()).front().name).device();
  torch::Tensor ids = torch::full({B, longest}, config.pad_id, torch::kLong);
  torch::Tensor mask = torch::zeros({B, longest}, torch::kLong);
  for (int64_t b = 0; b < B; ++b) {
    const auto& p = requests[b].prompt;
    const int64_t offset = longest - static_cast<int64_t>(p.size());
    ids[b].narrow(0, offset, p.size()).copy_(torch::tensor(p, torch::kLong));
    mask[b].narrow(0, offset, p.size()).fill_(1);
  }
  mask = mask.to(device);
  std::vector<at::Generator> generators;
  for (const auto& r : requests)
    generators.push_back(at::make_generator<at::CPUGeneratorImpl>(r.seed));

  std::vector<int64_t> active(B);  // request index of each live batch row
  for (int64_t b = 0; b < B; ++b) active[b] = b;
  KVCache cache;
  // Only the last position's logits are needed: the prompt's other positions skip the head.
  auto last_logits = [&](const torch::Tensor& input) {
    torch::Tensor logits =
        model.logits_from_hidden(model.hidden_states(input, {&cache, mask, {}}).select(1, -1));
    if (config.valid_vocab > 0) logits = mask_padded_logits(logits, config.valid_vocab);
    return logits.to(torch::kCPU);
  };
  int64_t real_tokens = 0;
  for (const auto& r : requests) real_tokens += static_cast<int64_t>(r.prompt.size());
  // On the CPU the prefill is compute-bound: when left padding would spend a fifth or more of it
  // on pad tokens, each prompt runs alone instead.
  const bool by_row = device.is_cpu() && B > 1 && B * longest * 4 > real_tokens * 5;
  torch::Tensor logits = by_row ? prefill_by_row(model, requests, longest, config, cache)
                                : last_logits(ids.to(device));

  for (int64_t step = 0; step < config.max_new_tokens && !active.empty(); ++step) {
    std::vector<int64_t> keep, next;
    // Greedy picks every row's token in one argmax; sampling draws row by row from each
    // request's own generator.
    std::vector<int64_t> greedy;
    if (config.sampling.greedy) {
      torch::Tensor best = logits.argmax(-1).contiguous();
      greedy.assign(best.data_ptr<int64_t>(), best.data_ptr<int64_t>() + best.numel());
    }
    for (size_t row = 0; row < active.size(); ++row) {
      const int64_t r = active[row];
      auto& out = results[r];
      const int64_t token = config.sampling.greedy
                                ? greedy[row]
                                : sample_token(logits[row], config.sampling, generators[r]);
      out.tokens.push_back(token);
      const int64_t length = static_cast<int64_t>(requests[r].prompt.size() + out.tokens.size());
      if (std::find(config.eos_ids.begin(), config.eos_ids.end(), token) != config.eos_ids.end())
        out.finish_reason = "eos";
      else if (config.stop && config.stop(r, out.tokens))
        out.finish_reason = "stop";
      else if (step + 1 == config.max_new_tokens || (max_length > 0 && length >= max_length))
        out.finish_reason = "length";
      if (out.finish_reason.empty()) {
        keep.push_back(static_cast<int64_t>(row));
        next.push_back(token);
      }
    }
    if (keep.empty()) break;
    if (keep.size() < active.size()) {  // finished rows leave the batch and the cache
      torch::Tensor index = torch::tensor(keep, torch::kLong).to(device);
      cache.select_rows(index);
      mask = mask.index_select(0, index);
      std::vector<int64_t> still;
      for (int64_t row : keep) still.push_back(active[row]);
      active = std::move(still);
    }
    const int64_t A = static_cast<int64_t>(active.size());
    mask = torch::cat({mask, torch::ones({A, 1}, mask.options())}, 1);
    torch::Tensor input = torch::tensor(next, torch::kLong).view({A, 1}).to(device);
    logits = last_logits(input);
  }
  for (auto& r : results)
    if (r.finish_reason.empty()) r.finish_reason = "length";
  return results;
}

}  // namespace amkd
