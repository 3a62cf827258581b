#include <iostream>

#include <fmt/format.h>

#include "command.h"
#include "data/instruction_data.h"
#include "generate/generate_file.h"
#include "model_flags.h"

namespace amkd::app {

Command add_generate_command(CLI::App& root) {
  struct Options {
    ModelFlags model;
    std::string data, output, prompt_template, max_new_tokens, temperature, top_k, top_p,
        batch_size, seed;
    bool greedy = false;
    std::vector<std::string> stop;
    RecipeFlags recipe;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cli =
      root.add_subcommand("generate", "batched sampling from a model on an instruction set");
  cli->add_option("--model", o->model.path, "model directory (sets model.path)");
  cli->add_option("--data", o->data,
                  "JSONL instruction set (data.format: auto-detected by default)")
      ->required()
      ->check(CLI::ExistingFile);
  cli->add_option("--output", o->output, "JSONL written: id, prompt, response, ids, finish_reason")
      ->required();
  cli->add_option("--template", o->prompt_template, "prompt template (sets data.template)");
  cli->add_option("--dtype", o->model.dtype, "compute dtype fp32|bf16|fp16 (sets model.dtype)");
  cli->add_option("--device", o->model.device, "cpu or cuda[:N] (sets model.device)");
  cli->add_option("--max-new-tokens", o->max_new_tokens, "sets generation.max_new_tokens");
  cli->add_flag("--greedy", o->greedy, "sets generation.greedy");
  cli->add_option("--temperature", o->temperature, "sets generation.temperature");
  cli->add_option("--top-k", o->top_k, "sets generation.top_k");
  cli->add_option("--top-p", o->top_p, "sets generation.top_p");
  cli->add_option("--batch-size", o->batch_size, "sets generation.batch_size");
  cli->add_option("--seed", o->seed, "sets generation.seed (prompt i uses seed + i)");
  cli->add_option("--stop", o->stop, "stop string (repeatable); the response is cut before it");
  o->recipe.add_to(cli);
  cli->footer(
      "Examples:\n"
      "  amkd generate --model runs/student --data data/eval/minillm_dolly_eval_500.jsonl --output "
      "out.jsonl\n"
      "  amkd generate --model teacher --data prompts.jsonl --output t.jsonl --greedy "
      "--max-new-tokens 64 --stop '###'\n"
      "  amkd launch --nproc 2 generate --model m --data p.jsonl --output o.jsonl   # 2 ranks");
  return {
      cli, [o]() {
        std::vector<std::string> flags = o->model.overrides();
        auto set = [&](const char* key, const std::string& v) { add_override(flags, key, v); };
        set("data.template", o->prompt_template);
        set("generation.max_new_tokens", o->max_new_tokens);
        set("generation.temperature", o->temperature);
        set("generation.top_k", o->top_k);
        set("generation.top_p", o->top_p);
        set("generation.batch_size", o->batch_size);
        set("generation.seed", o->seed);
        if (o->greedy) flags.push_back("generation.greedy=true");
        const auto recipe = o->recipe.resolve(flags);
        if (!recipe) return 0;
        const std::string& dir = require_model_path(*recipe, "generate");
        InferenceRanks ranks = connect_inference_ranks(*recipe);
        SetupAgreement setup(ranks.group.get());
        const auto tokenizer = load_tokenizer(dir);
        const PromptTemplate tmpl(recipe->data.prompt_template, "data.template");
        const LoadedData data =
            load_instruction_data(o->data, {parse_data_format(recipe->data.format, "data.format"),
                                            recipe->data.on_bad_line == "skip", false});
        if (data.skipped > 0 && ranks.writer())
          std::cerr << fmt::format("generate: skipped {} bad lines (first: {})\n", data.skipped,
                                   data.first_skip_reason);
        CausalLM model = load_model(dir, load_options(recipe->model, ranks.env));
        setup.succeeded();
        const GenerationSection& g = recipe->generation;
        GenerateFileOptions options;
        options.generation.sampling = {g.greedy, g.temperature, g.top_k, g.top_p};
        options.generation.max_new_tokens = g.max_new_tokens;
        options.batch_size = g.batch_size;
        options.seed = static_cast<uint64_t>(g.seed);
        options.stop_strings = o->stop;
        options.shard = ranks.shard();
        const auto start = std::chrono::steady_clock::now();
        if (ranks.writer())
          options.progress = [&](int64_t done, int64_t total, int64_t tokens) {
            const double s =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            std::cerr << fmt::format("generate: {}/{} prompts, {} new tokens, {:.1f} tokens/s\n",
                                     done, total, tokens, tokens / std::max(s, 1e-9));
          };
        const auto summary =
            generate_file(*model, *tokenizer, tmpl, data.examples, o->output, options);
        if (ranks.writer())
          std::cerr << fmt::format("generated {} responses ({} tokens) in {:.1f}s -> {}\n",
                                   summary.prompts, summary.new_tokens, summary.seconds, o->output);
        return 0;
      }};
}

}  // namespace amkd::app
