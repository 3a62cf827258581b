#include "eval/eval_runner.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "common/atomic_write.h"
#include "common/errors.h"
#include "common/json_io.h"
#include "data/training_set.h"
#include "eval/bleu.h"
#include "eval/text_metrics.h"
#include "generate/generator.h"
#include "objectives/divergences.h"
#include "objectives/response_positions.h"

namespace fs = std::filesystem;

namespace amkd {
namespace {

const std::map<std::string, std::string>& bundled_sets() {
  static const std::map<std::string, std::string> sets = {
      {"dolly", "eval/minillm_dolly_eval_500.jsonl"},
      {"selfinst", "eval/minillm_selfinst_eval_242.jsonl"},
      {"vicuna", "eval/minillm_vicuna_eval_80.jsonl"},
      {"sni", "eval/minillm_sinst_11plus_eval_1694.jsonl"},
      {"unni", "eval/uinst_eval_1050.jsonl"},
      {"gsm8k", "eval/gsm8k_test_1319.jsonl"},
  };
  return sets;
}

bool is_gsm8k(const EvalSet& set) {
  for (const auto& e : set.examples)
    if (!gsm8k_gold(e.response)) return false;
  return !set.examples.empty();
}

// Per-item scores of one prediction; adds them to `sums`.
nlohmann::json item_scores(const std::string& prediction, const Example& e, bool gsm8k,
                           std::map<std::string, double>& sums) {
  const double rouge = best_over_references(
      e.references, [&](const std::string& r) { return rouge_l(prediction, r); });
  const double em = best_over_references(
      e.references, [&](const std::string& r) { return exact_match(prediction, r) ? 1.0 : 0.0; });
  nlohmann::json s = {{"rougeL", rouge * 100}, {"exact_match", em * 100}};
  sums["rougeL"] += rouge * 100;
  sums["exact_match"] += em * 100;
  if (gsm8k) {
    const bool correct = gsm8k_correct(prediction, e.response);
    s["gsm8k_correct"] = correct;
    sums["gsm8k_accuracy"] += correct ? 100 : 0;
  }
  return s;
}

void finish_seed(SetResult& result, const std::vector<std::string>& predictions,
                 const std::vector<const Example*>& items, std::map<std::string, double>& sums) {
  const auto n = static_cast<double>(items.size());
  for (const auto& [metric, sum] : sums) result.per_seed[metric].push_back(sum / n);
  std::vector<std::vector<std::string>> refs;
  for (const auto* e : items) refs.push_back(e->references);
  result.per_seed["bleu"].push_back(corpus_bleu(predictions, refs).score);
}

// Teacher NLL of the generated tokens and TV / KL(teacher || model) per item, averaged over its
// response positions: [items, 3] (nll, tv, kl), float64, computed for the shard's batches.
torch::Tensor teacher_diagnostics(CausalLMImpl& model, CausalLMImpl& teacher,
                                  const std::vector<EncodedExample>& sequences, int64_t batch_size,
                                  int64_t vocab, const Shard& shard) {
  torch::NoGradGuard no_grad;
  torch::Tensor out = torch::zeros({static_cast<int64_t>(sequences.size()), 3}, torch::kFloat64);
  for (size_t b = 0; b < sequences.size(); b += static_cast<size_t>(batch_size)) {
    if (!shard.owns_batch(b / static_cast<size_t>(batch_size))) continue;
    const size_t e = std::min(sequences.size(), b + static_cast<size_t>(batch_size));
    std::vector<const EncodedExample*> part;
    for (size_t i = b; i < e; ++i) part.push_back(&sequences[i]);
    const TrainBatch batch = collate_training_batch(part, 0);
    const ResponsePositions pos = response_positions(batch.target_mask, batch.targets);
    auto rows = [&](CausalLMImpl& m) {
      const auto dev = m.parameters().front().device();
      const auto h = m.hidden_states(batch.input_ids.to(dev)).index({batch.target_mask.to(dev)});
      return m.logits_from_hidden(h).slice(1, 0, vocab).to(torch::kCPU, torch::kFloat32);
    };
    const torch::Tensor q = rows(model), p = rows(teacher);
    const torch::Tensor log_p = safe_log_softmax(p);
    const torch::Tensor nll = -log_p.gather(1, pos.token.unsqueeze(1)).squeeze(1);
    const torch::Tensor tv = total_variation(p, q);
    const torch::Tensor kl = divergence(Divergence::kFkl, p, q, {});
    const int64_t rows_in_batch = static_cast<int64_t>(part.size());
    auto per_row = [&](const torch::Tensor& v) {
      const auto sum = torch::zeros({rows_in_batch}, torch::kFloat64)
                           .index_add_(0, pos.row, v.to(torch::kFloat64));
      const auto count = torch::zeros({rows_in_batch}, torch::kFloat64)
                             .index_add_(0, pos.row, torch::ones({pos.count()}, torch::kFloat64));
      return sum / count.clamp_min(1);
    };
    out.narrow(0, static_cast<int64_t>(b), rows_in_batch)
        .copy_(torch::stack({per_row(nll), per_row(tv), per_row(kl)}, 1));
  }
  shard.share(out);
  return out;
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? NAN : s / static_cast<double>(v.size());
}

double stddev(const std::vector<double>& v) {  // population std over seeds, as numpy's default
  const double m = mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return v.empty() ? NAN : std::sqrt(s / static_cast<double>(v.size()));
}

}  // namespace

std::string bundled_eval_path(const std::string& name) {
  auto it = bundled_sets().find(name);
  if (it == bundled_sets().end()) return "";
  const char* env = std::getenv("AMKD_DATA_DIR");
  const fs::path root = env && *env ? fs::path(env) : fs::path(AMKD_DEFAULT_DATA_DIR);
  return (root / it->second).string();
}

EvalSet load_eval_set(const std::string& name_or_path, const DataSection& data) {
  EvalSet set;
  set.path = bundled_eval_path(name_or_path);
  if (set.path.empty()) {
    if (!fs::is_regular_file(name_or_path)) {
      std::string names;
      for (const auto& [n, p] : bundled_sets()) names += (names.empty() ? "" : ", ") + n;
      throw InputError(
          fmt::format("eval set '{}': neither a bundled set ({}) nor a file", name_or_path, names));
    }
    set.path = name_or_path;
    set.name = fs::path(name_or_path).stem().string();
  } else {
    set.name = name_or_path;
  }
  const LoadedData loaded = load_instruction_data(
      set.path, {parse_data_format(data.format, "data.format"), data.on_bad_line == "skip", true});
  set.examples = loaded.examples;
  if (set.examples.empty()) throw InputError(fmt::format("{}: no evaluation items", set.path));
  return set;
}

SetResult evaluate_set(CausalLMImpl& model, const Tokenizer& tokenizer, const EvalSet& set,
                       const EvalOptions& options, CausalLMImpl* teacher) {
  SetResult result;
  result.name = set.name;
  const size_t n =
      options.subset > 0 ? std::min(options.subset, set.examples.size()) : set.examples.size();
  result.items = n;
  const PromptTemplate tmpl(options.prompt_template, "data.template", tokenizer);
  const bool gsm8k = is_gsm8k(set);
  std::vector<std::string> prompts;
  std::vector<std::vector<int64_t>> prompt_ids;
  std::vector<const Example*> items;
  for (size_t i = 0; i < n; ++i) {
    const Example& e = set.examples[i];
    items.push_back(&e);
    prompts.push_back(prompt_text(tmpl, e));
    std::vector<int64_t> ids = tmpl.prompt_ids(tokenizer, prompts.back());
    if (static_cast<int64_t>(ids.size()) > options.max_prompt_length)
      ids.resize(options.max_prompt_length);  // MiniLLM keeps the prompt's beginning
    prompt_ids.push_back(std::move(ids));
  }
  GenerationConfig config;
  config.sampling = options.sampling;
  config.max_length = options.max_length;
  config.max_new_tokens = options.max_new_tokens > 0 ? options.max_new_tokens : options.max_length;
  config.eos_ids = end_of_sequence_ids(tokenizer, model.config(), tmpl);
  if (tokenizer.special().pad) config.pad_id = *tokenizer.special().pad;
  config.valid_vocab = std::min(model.config().vocab_size, tokenizer.vocab_size());

  const auto batch = static_cast<size_t>(options.batch_size);
  for (const uint64_t seed : options.seeds) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::vector<int64_t>> tokens(n);
    for (size_t b = 0; b < n; b += batch) {
      if (!options.shard.owns_batch(b / batch)) continue;
      const size_t e = std::min(n, b + batch);
      std::vector<GenerationRequest> requests;
      for (size_t i = b; i < e; ++i) requests.push_back({prompt_ids[i], request_seed(seed, i)});
      auto results = generate(model, requests, config);
      for (size_t i = b; i < e; ++i) tokens[i] = std::move(results[i - b].tokens);
      if (options.progress) {
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        options.progress(fmt::format("eval {} seed {}: {}/{} prompts, {:.2f} prompts/s", set.name,
                                     seed, e, n, static_cast<double>(e) / s));
      }
    }
    options.shard.share(tokens);
    std::vector<std::string> predictions;
    for (const auto& t : tokens) predictions.push_back(tokenizer.decode(t, true));
    torch::Tensor diagnostics;
    if (teacher) {
      std::vector<EncodedExample> sequences;
      for (size_t i = 0; i < n; ++i)
        sequences.push_back(response_sequence(prompt_ids[i], tokens[i], options.max_length));
      diagnostics = teacher_diagnostics(model, *teacher, sequences, options.batch_size,
                                        config.valid_vocab, options.shard);
    }
    std::map<std::string, double> sums;
    for (size_t i = 0; i < n; ++i) {
      nlohmann::json row = {{"set", set.name},
                            {"seed", seed},
                            {"id", items[i]->id},
                            {"prompt", prompts[i]},
                            {"prediction", predictions[i]},
                            {"references", items[i]->references},
                            {"scores", item_scores(predictions[i], *items[i], gsm8k, sums)}};
      if (teacher) {
        const char* names[] = {"nll", "tv", "kl"};
        for (int64_t k = 0; k < 3; ++k) {
          const double v = diagnostics[static_cast<int64_t>(i)][k].item<double>();
          row["teacher"][names[k]] = v;
          sums[std::string("teacher_") + names[k]] += v;
        }
      }
      result.rows.push_back(std::move(row));
    }
    finish_seed(result, predictions, items, sums);
  }
  return result;
}

SetResult score_predictions(const EvalSet& set, const std::string& predictions_path) {
  std::map<std::string, std::string> by_id;
  for_each_jsonl_row(
      predictions_path, "predictions", [&](const nlohmann::json& row, const std::string& where) {
        if (!row.is_object() || !row.contains("id") || !row.contains("prediction") ||
            !row["prediction"].is_string())
          throw InputError(where + ": a predictions line needs \"id\" and a string \"prediction\"");
        by_id[row["id"].is_string() ? row["id"].get<std::string>() : row["id"].dump()] =
            row["prediction"].get<std::string>();
      });
  SetResult result;
  result.name = set.name;
  result.items = set.examples.size();
  const bool gsm8k = is_gsm8k(set);
  std::vector<std::string> predictions;
  std::vector<const Example*> items;
  std::map<std::string, double> sums;
  for (const Example& e : set.examples) {
    auto it = by_id.find(e.id);
    if (it == by_id.end())
      throw InputError(
          fmt::format("{}: no prediction for item '{}' of {}", predictions_path, e.id, set.path));
    predictions.push_back(it->second);
    items.push_back(&e);
    result.rows.push_back({{"set", set.name},
                           {"id", e.id},
                           {"prediction", it->second},
                           {"references", e.references},
                           {"scores", item_scores(it->second, e, gsm8k, sums)}});
  }
  finish_seed(result, predictions, items, sums);
  return result;
}

nlohmann::json summarize(const std::vector<SetResult>& results) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& r : results) {
    nlohmann::json set = {{"items", r.items}};
    for (const auto& [metric, values] : r.per_seed)
      set[metric] = {{"mean", mean(values)}, {"std", stddev(values)}, {"per_seed", values}};
    out[r.name] = set;
  }
  return out;
}

std::string format_table(const std::vector<SetResult>& results) {
  std::vector<std::string> metrics = {"rougeL", "exact_match", "bleu"};
  for (const char* extra : {"gsm8k_accuracy", "teacher_nll", "teacher_tv", "teacher_kl"})
    for (const auto& r : results)
      if (r.per_seed.count(extra) &&
          std::find(metrics.begin(), metrics.end(), extra) == metrics.end())
        metrics.push_back(extra);
  std::string out = fmt::format("{:<14} {:>6}", "set", "items");
  for (const auto& m : metrics) out += fmt::format("  {:>16}", m);
  out += "\n";
  for (const auto& r : results) {
    out += fmt::format("{:<14} {:>6}", r.name, r.items);
    for (const auto& m : metrics) {
      auto it = r.per_seed.find(m);
      out += it == r.per_seed.end()
                 ? fmt::format("  {:>16}", "-")
                 : fmt::format("  {:>16}", fmt::format("{:.2f} ± {:.2f}", mean(it->second),
                                                       stddev(it->second)));
    }
    out += "\n";
  }
  return out;
}

void write_eval_outputs(const std::string& dir, const std::vector<SetResult>& results) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir))
    throw InputError(fmt::format("{}: cannot create the output directory", dir));
  for (const auto& r : results) {
    std::string text;
    for (const auto& row : r.rows)
      text += row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    write_file_atomic(fs::path(dir) / (r.name + ".jsonl"), text);
  }
  write_file_atomic(fs::path(dir) / "summary.json", summarize(results).dump(2) + "\n");
}

}  // namespace amkd
