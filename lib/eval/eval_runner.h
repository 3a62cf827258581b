#pragma once
// `amkd eval` as library calls: held-out instruction sets sampled with the shared generator over
// several seeds and scored as MiniLLM/DistiLLM score them (ROUGE-L, exact match, corpus BLEU,
// GSM8K accuracy), optionally with teacher diagnostics along each prediction.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/recipe.h"
#include "data/instruction_data.h"
#include "dist/shard.h"
#include "generate/sampling.h"
#include "model/decoder.h"
#include "tokenizer/tokenizer.h"

namespace amkd {

struct EvalSet {
  std::string name;  // the bundled name, or the file's stem
  std::string path;
  std::vector<Example> examples;
};

// The bundled sets: dolly, selfinst, vicuna, sni, unni, gsm8k -> their file under the data
// directory (AMKD_DATA_DIR, else the source tree's data/). Empty for other names.
std::string bundled_eval_path(const std::string& name);
// A bundled name or a JSONL path, loaded with data.format / data.on_bad_line.
EvalSet load_eval_set(const std::string& name_or_path, const DataSection& data);

struct EvalOptions {
  std::vector<uint64_t> seeds{10, 20, 30, 40,
                              50};  // item i of seed s samples with request_seed(s, i)
  SamplingParams sampling;
  int64_t batch_size = 8;
  int64_t max_new_tokens = 0;  // 0: up to max_length with the prompt
  int64_t max_prompt_length = 256, max_length = 512;
  std::string prompt_template = "dolly";
  size_t subset = 0;  // first items only; 0: all
  Shard shard;        // several processes: each generates its batches, all get every result
  std::function<void(const std::string& line)> progress;
};

// Scores of one set: per metric one value per seed (percentages, as the papers report them),
// and one JSON row per (seed, item).
struct SetResult {
  std::string name;
  size_t items = 0;
  std::map<std::string, std::vector<double>> per_seed;
  std::vector<nlohmann::json> rows;
};

// Generates and scores; with a teacher, adds its NLL of each prediction and the token-level TV
// and KL(teacher || model) along it.
SetResult evaluate_set(CausalLMImpl& model, const Tokenizer& tokenizer, const EvalSet& set,
                       const EvalOptions& options, CausalLMImpl* teacher = nullptr);

// Scores an existing predictions JSONL (id and prediction per line) against `set`.
SetResult score_predictions(const EvalSet& set, const std::string& predictions_path);

// {set: {metric: {mean, std, per_seed}}} and the console table.
nlohmann::json summarize(const std::vector<SetResult>& results);
std::string format_table(const std::vector<SetResult>& results);
// OUT/<set>.jsonl (rows) and OUT/summary.json, each written atomically.
void write_eval_outputs(const std::string& dir, const std::vector<SetResult>& results);

}  // namespace amkd
