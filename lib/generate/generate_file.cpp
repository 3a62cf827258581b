#include "generate/generate_file.h"

#include <chrono>

#include <nlohmann/json.hpp>

#include "common/atomic_write.h"

namespace amkd {
namespace {

// The first stop string in `text`, as a position, or npos.
size_t find_stop(const std::string& text, const std::vector<std::string>& stops) {
  size_t first = std::string::npos;
  for (const auto& s : stops) first = std::min(first, text.find(s));
  return first;
}

}  // namespace

GenerateFileSummary generate_file(CausalLMImpl& model, const Tokenizer& tokenizer,
                                  const PromptTemplate& unbound,
                                  const std::vector<Example>& examples, const std::string& output,
                                  GenerateFileOptions options) {
  const auto start = std::chrono::steady_clock::now();
  const PromptTemplate tmpl = unbound.bound_to(tokenizer);
  GenerationConfig& config = options.generation;
  if (config.eos_ids.empty()) config.eos_ids = end_of_sequence_ids(tokenizer, model.config(), tmpl);
  if (tokenizer.special().pad) config.pad_id = *tokenizer.special().pad;

  std::vector<std::string> prompts;
  std::vector<GenerationRequest> requests;
  for (size_t i = 0; i < examples.size(); ++i) {
    const Example& e = examples[i];
    prompts.push_back(prompt_text(tmpl, e));
    requests.push_back({tmpl.prompt_ids(tokenizer, prompts.back()), options.seed + i});
  }
  if (!options.stop_strings.empty()) {
    config.stop = [&](size_t, const std::vector<int64_t>& tokens) {
      return find_stop(tokenizer.decode(tokens, true), options.stop_strings) != std::string::npos;
    };
  }

  GenerateFileSummary summary;
  std::string text;
  for (size_t begin = 0; begin < requests.size(); begin += options.batch_size) {
    const size_t end = std::min(requests.size(), begin + static_cast<size_t>(options.batch_size));
    const std::vector<GenerationRequest> batch(requests.begin() + begin, requests.begin() + end);
    const auto results = generate(model, batch, config);
    for (size_t k = 0; k < results.size(); ++k) {
      const size_t i = begin + k;
      std::string response = tokenizer.decode(results[k].tokens, true);
      if (results[k].finish_reason == "stop")
        response = response.substr(0, find_stop(response, options.stop_strings));
      nlohmann::json row = {{"id", examples[i].id},
                            {"prompt", prompts[i]},
                            {"response", response},
                            {"ids", results[k].tokens},
                            {"finish_reason", results[k].finish_reason}};
      text += row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
      summary.new_tokens += static_cast<int64_t>(results[k].tokens.size());
    }
    summary.prompts = static_cast<int64_t>(end);
    if (options.progress)
      options.progress(summary.prompts, static_cast<int64_t>(requests.size()), summary.new_tokens);
  }
  write_file_atomic(output, text);
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace amkd
