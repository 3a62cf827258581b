#include "train/rollouts.h"

#include <fstream>

#include <fmt/format.h>

#include "common/errors.h"
#include "common/json_io.h"

namespace amkd {
namespace {

EncodedExample with_response(const EncodedExample& example, const std::vector<int64_t>& response,
                             int64_t max_length) {
  EncodedExample e;
  e.ids = prompt_ids(example);
  e.prompt_length = example.prompt_length;
  e.ids.insert(e.ids.end(), response.begin(), response.end());
  if (static_cast<int64_t>(e.ids.size()) > max_length) e.ids.resize(max_length);
  e.loss_mask.assign(e.ids.size(), 1);
  std::fill(e.loss_mask.begin(), e.loss_mask.begin() + e.prompt_length, 0);
  return e;
}

}  // namespace

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
    out.push_back(with_response(*prompts[i], results[i].tokens, max_length));
  return out;
}

TeacherCache::TeacherCache(const std::string& path, const Tokenizer& tokenizer) : path_(path) {
  std::ifstream in(path);
  if (!in)
    throw InputError(fmt::format("{}: cannot read the teacher cache (data.teacher_cache)", path));
  int64_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = fmt::format("{}:{}", path, line_no);
    const auto row = parse_json(line, where);
    if (!row.is_object() || !row.contains("id"))
      throw InputError(where + ": a teacher cache line needs an \"id\" (amkd generate writes one)");
    const std::string id = row["id"].is_string() ? row["id"].get<std::string>() : row["id"].dump();
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
    responses_[id] = std::move(ids);
  }
}

EncodedExample TeacherCache::sequence(const std::string& id, const EncodedExample& example,
                                      int64_t max_length) const {
  auto it = responses_.find(id);
  if (it == responses_.end())
    throw InputError(
        fmt::format("{}: no teacher output for example '{}' (regenerate the cache "
                    "for this data.train)",
                    path_, id));
  return with_response(example, it->second, max_length);
}

}  // namespace amkd
