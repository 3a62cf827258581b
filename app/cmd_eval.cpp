#include <iostream>

#include <fmt/format.h>

#include "command.h"
#include "eval/eval_runner.h"
#include "model_flags.h"

namespace amkd::app {

Command add_eval_command(CLI::App& root) {
  struct Options {
    ModelFlags model;
    std::vector<std::string> data;
    std::string prompt_template, seeds, max_new_tokens, output, teacher, predictions;
    RecipeFlags recipe;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cli = root.add_subcommand(
      "eval", "score a model on held-out instruction sets (ROUGE-L, exact match, BLEU)");
  o->recipe.add_to(cli, true);
  cli->add_option("--model", o->model.path, "model to evaluate (sets model.path)");
  cli->add_option("--data", o->data,
                  "set: dolly, selfinst, vicuna, sni, unni, gsm8k or a JSONL path (repeatable; "
                  "sets eval.sets)");
  cli->add_option("--template", o->prompt_template, "prompt template (sets data.template)");
  cli->add_option("--seeds", o->seeds, "comma-separated sampling seeds (sets eval.seeds)");
  cli->add_option("--max-new-tokens", o->max_new_tokens, "sets eval.max_new_tokens");
  cli->add_option("--dtype", o->model.dtype, "compute dtype fp32|bf16|fp16 (sets model.dtype)");
  cli->add_option("--device", o->model.device, "cpu or cuda[:N] (sets model.device)");
  cli->add_option("--teacher", o->teacher,
                  "teacher directory: adds its NLL of each prediction and token-level TV/KL");
  cli->add_option("--predictions", o->predictions,
                  "score this JSONL (id and prediction per line) instead of generating")
      ->check(CLI::ExistingFile);
  cli->add_option("--output", o->output, "directory for SET.jsonl per set and summary.json");
  cli->footer(
      "Sampling follows MiniLLM/DistiLLM evaluation: generation.temperature 1.0, top_p 1.0, "
      "no top-k, seeds 10,20,30,40,50, prompt + response at most data.max_length (512) "
      "tokens. Scores are mean ± std over seeds.\n"
      "Examples:\n"
      "  amkd eval --model runs/ammd/final --data dolly --data selfinst --output runs/ammd/eval\n"
      "  amkd eval --model student --data sni --seeds 10 --teacher teacher\n"
      "  amkd eval --predictions preds.jsonl --data dolly\n"
      "  amkd launch --nproc 2 eval --model student --data dolly   # batches shared by 2 ranks");
  return {
      cli, [o]() {
        std::vector<std::string> flags = o->model.overrides();
        auto set = [&](const char* key, const std::string& v) { add_override(flags, key, v); };
        std::string sets;
        for (const auto& d : o->data) sets += (sets.empty() ? "" : ",") + d;
        set("eval.sets", sets);
        set("eval.seeds", o->seeds);
        set("eval.max_new_tokens", o->max_new_tokens);
        set("data.template", o->prompt_template);
        set("teacher.path", o->teacher);
        const auto recipe = o->recipe.resolve(flags);
        if (!recipe) return 0;
        std::vector<EvalSet> eval_sets;
        for (const auto& name : split_list(recipe->eval.sets))
          eval_sets.push_back(load_eval_set(name, recipe->data));
        std::vector<SetResult> results;
        bool writer = true;
        if (!o->predictions.empty()) {
          if (eval_sets.size() != 1)
            throw InputError("eval --predictions: give exactly one --data set to score against");
          writer = dist_env_for(recipe->dist).rank == 0;
          results.push_back(score_predictions(eval_sets[0], o->predictions));
        } else {
          const std::string& dir = require_model_path(*recipe, "eval");
          InferenceRanks ranks = connect_inference_ranks(*recipe);
          writer = ranks.writer();
          SetupAgreement setup(ranks.group.get());
          const auto tokenizer = load_tokenizer(dir);
          CausalLM model = load_model(dir, load_options(recipe->model, ranks.env));
          CausalLM teacher{nullptr};
          if (!recipe->teacher.path.empty())
            teacher = load_model(recipe->teacher.path,
                                 load_options(recipe->teacher, ranks.env, "teacher.device"));
          setup.succeeded();
          const GenerationSection& g = recipe->generation;
          EvalOptions options;
          options.seeds.clear();
          for (const auto& s : split_list(recipe->eval.seeds))
            options.seeds.push_back(std::stoull(s));
          options.sampling = {g.greedy, g.temperature, g.top_k, g.top_p};
          options.batch_size = g.batch_size;
          options.max_new_tokens = recipe->eval.max_new_tokens;
          options.max_prompt_length = recipe->data.max_prompt_length;
          options.max_length = recipe->data.max_length;
          options.prompt_template = recipe->data.prompt_template;
          options.subset = static_cast<size_t>(recipe->eval.subset);
          options.shard = ranks.shard();
          if (writer) options.progress = [](const std::string& line) { std::cerr << line << "\n"; };
          for (const auto& s : eval_sets)
            results.push_back(
                evaluate_set(*model, *tokenizer, s, options, teacher ? teacher.get() : nullptr));
        }
        if (!writer) return 0;
        std::cout << format_table(results);
        if (!o->output.empty()) {
          write_eval_outputs(o->output, results);
          std::cerr << fmt::format("wrote {} set file(s) and summary.json to {}\n", results.size(),
                                   o->output);
        }
        return 0;
      }};
}

}  // namespace amkd::app
