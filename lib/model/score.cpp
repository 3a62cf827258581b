#include "model/score.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/atomic_write.h"
#include "common/errors.h"
#include "common/json_io.h"

namespace amkd {

std::vector<std::vector<float>> score_sequences(CausalLMImpl& model,
                                                const std::vector<std::vector<int64_t>>& seqs,
                                                const ScoreOptions& options) {
  c10::InferenceMode inference;
  std::vector<std::vector<float>> result(seqs.size());
  std::vector<size_t> order(seqs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return seqs[a].size() > seqs[b].size(); });

  size_t start = 0;
  while (start < order.size()) {
    const int64_t longest = static_cast<int64_t>(seqs[order[start]].size());
    if (longest < 2) {  // this and every later (shorter) sequence has nothing to score
      break;
    }
    const int64_t batch = std::max<int64_t>(1, options.max_batch_tokens / longest);
    size_t end = std::min(order.size(), start + static_cast<size_t>(batch));
    // Dynamic NTK scaling depends on the sequence length of the forward, so a sequence is
    // batched only with others of its own length: its scores do not depend on its neighbours.
    if (model.config().rope.type == "dynamic") {
      size_t same = start + 1;
      while (same < end && static_cast<int64_t>(seqs[order[same]].size()) == longest) ++same;
      end = same;
    }
    const int64_t B = static_cast<int64_t>(end - start);
    torch::Tensor ids = torch::zeros({B, longest}, torch::kLong);
    auto acc = ids.accessor<int64_t, 2>();
    for (int64_t b = 0; b < B; ++b) {
      const auto& s = seqs[order[start + b]];
      for (size_t t = 0; t < s.size(); ++t) acc[b][t] = s[t];
    }
    torch::Tensor hidden =
        model.hidden_states(ids).narrow(1, 0, longest - 1).reshape({B * (longest - 1), -1});
    torch::Tensor targets = ids.narrow(1, 1, longest - 1).reshape({-1}).to(hidden.device());
    std::vector<torch::Tensor> parts;
    for (int64_t r = 0; r < hidden.size(0); r += options.vocab_chunk_rows) {
      const int64_t n = std::min(options.vocab_chunk_rows, hidden.size(0) - r);
      torch::Tensor logp = torch::log_softmax(
          model.logits_from_hidden(hidden.narrow(0, r, n)).to(torch::kFloat32), -1);
      parts.push_back(logp.gather(1, targets.narrow(0, r, n).unsqueeze(1)).squeeze(1));
    }
    torch::Tensor lp = torch::cat(parts).view({B, longest - 1}).to(torch::kCPU).contiguous();
    auto lp_acc = lp.accessor<float, 2>();
    for (int64_t b = 0; b < B; ++b) {
      const size_t n = seqs[order[start + b]].size() - 1;
      auto& out = result[order[start + b]];
      out.resize(n);
      for (size_t t = 0; t < n; ++t) out[t] = lp_acc[b][t];
    }
    start = end;
    if (options.progress)
      options.progress(static_cast<int64_t>(start), static_cast<int64_t>(order.size()));
  }
  return result;
}

int64_t score_jsonl(CausalLMImpl& model, const std::string& input, const std::string& output,
                    const ScoreOptions& options) {
  std::ifstream in(input, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read input", input));
  const int64_t vocab = model.config().vocab_size;
  // GPT-2's learned positions end at n_positions. RoPE models may go past
  // max_position_embeddings (dynamic scaling is made for that), up to a bound that keeps one
  // line's T x T attention in memory.
  const ModelConfig& config = model.config();
  const int64_t longest = config.family == Family::kGpt2
                              ? config.max_position_embeddings
                              : std::max<int64_t>(config.max_position_embeddings, 1 << 14);
  std::vector<nlohmann::json> rows;
  std::vector<std::vector<int64_t>> seqs;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto where = [&](const std::string& what) {
      return InputError(fmt::format("{}:{}: {}", input, number, what));
    };
    nlohmann::json row = parse_json(line, fmt::format("{}:{}", input, number));
    if (!row.is_object() || !row.contains("ids") || !row["ids"].is_array())
      throw where("expected an object with an \"ids\" array");
    if (static_cast<int64_t>(row["ids"].size()) > longest)
      throw where(fmt::format("{} ids, more than amkd scores in one line of this model ({})",
                              row["ids"].size(), longest));
    std::vector<int64_t> ids;
    for (const auto& v : row["ids"]) {
      if (!v.is_number_integer())
        throw where(fmt::format("ids holds {}, not an integer token id", v.dump()));
      const int64_t id = v.get<int64_t>();
      if (id < 0 || id >= vocab)
        throw where(fmt::format("token id {} is outside the vocabulary [0, {})", id, vocab));
      ids.push_back(id);
    }
    rows.push_back(std::move(row));
    seqs.push_back(std::move(ids));
  }
  const auto logprobs = score_sequences(model, seqs, options);
  std::string text;
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i]["logprobs"] = logprobs[i];
    text += rows[i].dump() + "\n";
  }
  write_file_atomic(output, text);
  return static_cast<int64_t>(rows.size());
}

}  // namespace amkd
