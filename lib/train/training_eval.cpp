#include "train/training_eval.h"

#include <fmt/format.h>

namespace amkd {

TrainingEval::TrainingEval(const Recipe& recipe, const Tokenizer& tokenizer)
    : tokenizer_(tokenizer), every_(recipe.eval.every), keep_best_(recipe.eval.keep_best) {
  if (!enabled()) return;
  for (const auto& name : split_list(recipe.eval.sets))
    sets_.push_back(load_eval_set(name, recipe.data));
  const GenerationSection& g = recipe.generation;
  options_.seeds = {std::stoull(split_list(recipe.eval.seeds).front())};
  options_.sampling = {g.greedy, g.temperature, g.top_k, g.top_p};
  options_.batch_size = g.batch_size;
  options_.max_new_tokens = recipe.eval.max_new_tokens;
  options_.max_prompt_length = recipe.data.max_prompt_length;
  options_.max_length = recipe.data.max_length;
  options_.prompt_template = recipe.data.prompt_template;
  options_.subset = static_cast<size_t>(recipe.eval.subset);
}

void TrainingEval::run(int64_t step, CausalLMImpl& model, RunOutput& output,
                       const std::string& source_dir, std::ostream& console) {
  std::vector<SetResult> results;
  for (const auto& set : sets_) results.push_back(evaluate_set(model, tokenizer_, set, options_));
  model.train();
  nlohmann::json row = {{"step", step}, {"eval", nlohmann::json::object()}};
  std::string line = fmt::format("step {}: eval", step);
  double metric_sum = 0;
  int metric_sets = 0;
  for (const auto& r : results) {
    for (const auto& [metric, values] : r.per_seed) row["eval"][r.name][metric] = values.front();
    line += fmt::format(" {} rougeL {:.2f}", r.name, r.per_seed.at("rougeL").front());
    auto it = r.per_seed.find(keep_best_);
    if (it != r.per_seed.end()) {
      metric_sum += it->second.front();
      ++metric_sets;
    }
  }
  output.log(row);
  console << line << "\n";
  if (keep_best_ == "none" || metric_sets == 0) return;
  const double score = metric_sum / metric_sets;
  if (score > best_) {
    best_ = score;
    output.save(model, "best", source_dir);
    output.log({{"step", step}, {"best", {{"metric", keep_best_}, {"value", score}}}});
    console << fmt::format("step {}: new best {} {:.2f} -> {}/best\n", step, keep_best_, score,
                           output.dir());
  }
}

}  // namespace amkd
