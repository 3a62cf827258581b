#include "train/rollouts.h"

#include <fmt/format.h>

#include "common/errors.h"
#include "common/json_io.h"
#include "data/training_set.h"

namespace amkd {
std::vector<int64_t> prompt_ids(const EncodedExample& example) {
  return {example.ids.begin(), example.ids.begin() + example.prompt_length};
}

std::vector<EncodedExample> sample_responses(CausalLMImpl& model,
                                             const std::vector<const EncodedExample*>& prompts,
                                             const std::vector<uint64_t>& seeds,
                                             GenerationConfig config, int64_t max_length) {
  std::vector<GenerationRequest> requests;
  for (size_t i = 0; i < prompts.size(); ++i)
    requests.push_back({prompt_ids(*prompts[i]), seeds[i]});
  config.max_length = max_length;
  const auto results = generate(model, requests, config);
  std::vector<EncodedExample> out;
  for (size_t i = 0; i < prompts.size(); ++i)
    out.push_back(response_sequence(prompt_ids(*prompts[i]), results[i].tokens, max_length));
  return out;
}

TeacherCache::TeacherCache(const std::string& path, const Tokenizer& tokenizer) : path_(path) {
  for_each_jsonl_row(
      path, "the teacher cache (data.teacher_cache)",
      [&](const nlohmann::json& row, const std::string& where) {
        if (!row.is_object() || !row.contains("id"))
          throw InputError(where +
                           ": a teacher cache line needs an \"id\" (amkd generate writes one)");
        const std::string id =
            row["id"].is_string() ? row["id"].get<std::string>() : row["id"].dump();
        std::vector<int64_t> ids;
        if (row.contains("ids") && row["ids"].is_array()) {
          for (const auto& v : row["ids"]) {
            if (!v.is_number_integer() || v.get<int64_t>() < 0 ||
                v.get<int64_t>() >= tokenizer.vocab_size())
              throw InputError(where +
                               ": \"ids\" holds a value that is not a token id of this tokenizer");
            ids.push_back(v.get<int64_t>());
          }
        } else if (row.contains("response") && row["response"].is_string()) {
          ids = tokenizer.encode(row["response"].get<std::string>(), false);
          if (tokenizer.special().eos) ids.push_back(*tokenizer.special().eos);
        } else {
          throw InputError(where + ": a teacher cache line needs \"ids\" or \"response\"");
        }
        if (ids.empty()) throw InputError(where + ": the cached response is empty");
        if (!responses_.emplace(id, std::move(ids)).second)
          throw InputError(
              fmt::format("{}: id '{}' appears a second time in the teacher cache", where, id));
      });
}

EncodedExample TeacherCache::sequence(const std::string& id, const EncodedExample& example,
                                      int64_t max_length) const {
  auto it = responses_.find(id);
  if (it == responses_.end())
    throw InputError(
        fmt::format("{}: no teacher output for example '{}' (regenerate the cache "
                    "for this data.train)",
                    path_, id));
  return response_sequence(prompt_ids(example), it->second, max_length);
}

}  // namespace amkd
