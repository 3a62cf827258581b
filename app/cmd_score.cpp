#include <chrono>
#include <iostream>

#include <fmt/format.h>

#include "command.h"
#include "model/score.h"
#include "model_flags.h"

namespace amkd::app {

Command add_score_command(CLI::App& root) {
  struct Options {
    ModelFlags model;
    std::string input, output;
    int64_t batch_tokens = 4096;
    RecipeFlags recipe;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cli =
      root.add_subcommand("score", "per-token log-probabilities of token ids under a model");
  cli->add_option("--model", o->model.path, "Hugging Face model directory (sets model.path)");
  cli->add_option("--input", o->input, "JSONL, one {\"ids\": [...]} per line")
      ->required()
      ->check(CLI::ExistingFile);
  cli->add_option("--output", o->output, "JSONL written: each input line plus \"logprobs\"")
      ->required();
  cli->add_option("--dtype", o->model.dtype, "compute dtype fp32|bf16|fp16 (sets model.dtype)");
  cli->add_option("--device", o->model.device, "cpu or cuda[:N] (sets model.device)");
  cli->add_option("--batch-tokens", o->batch_tokens, "padded tokens per forward pass")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  o->recipe.add_to(cli);
  cli->footer(
      "Output: logprobs[i] = log p(ids[i+1] | ids[0..i]), one number fewer than ids.\n"
      "Examples:\n"
      "  amkd score --model runs/student --input ids.jsonl --output scored.jsonl\n"
      "  amkd score --model teacher --input ids.jsonl --output t.jsonl --dtype bf16 --device cuda");
  return {cli, [o]() {
            const auto recipe = o->recipe.resolve(o->model.overrides());
            if (!recipe) return 0;
            const auto start = std::chrono::steady_clock::now();
            CausalLM model =
                load_model(require_model_path(*recipe, "score"), load_options(recipe->model));
            ScoreOptions options;
            options.max_batch_tokens = o->batch_tokens;
            auto last = std::chrono::steady_clock::now();
            options.progress = [&](int64_t done, int64_t total) {  // a line every few seconds
              const auto now = std::chrono::steady_clock::now();
              if (now - last < std::chrono::seconds(3) && done < total) return;
              last = now;
              std::cerr << fmt::format("score: {}/{} sequences\n", done, total);
            };
            const int64_t n = score_jsonl(*model, o->input, o->output, options);
            const double seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            std::cerr << fmt::format("scored {} sequences with {} ({}) in {:.2f}s -> {}\n", n,
                                     recipe->model.path, recipe->model.dtype, seconds, o->output);
            return 0;
          }};
}

}  // namespace amkd::app
