#include <iostream>

#include "command.h"
#include "train/sft_trainer.h"

namespace amkd::app {

Command add_sft_command(CLI::App& root) {
  struct Options {
    ModelFlags model;
    std::string data, valid, output, prompt_template, max_steps, epochs, lr;
    RecipeFlags recipe;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cli = root.add_subcommand(
      "sft", "supervised fine-tuning on instruction data (response tokens only)");
  o->recipe.add_to(cli, true);
  cli->add_option("--model", o->model.path, "model to fine-tune (sets model.path)");
  cli->add_option("--device", o->model.device, "cpu or cuda[:N] (sets model.device)");
  cli->add_option("--data", o->data, "training JSONL (sets data.train)");
  cli->add_option("--valid", o->valid, "validation JSONL (sets data.valid)");
  cli->add_option("--template", o->prompt_template, "prompt template (sets data.template)");
  cli->add_option("--output", o->output, "run directory (sets train.output_dir)");
  cli->add_option("--max-steps", o->max_steps, "sets train.max_steps");
  cli->add_option("--epochs", o->epochs, "sets train.epochs");
  cli->add_option("--lr", o->lr, "sets optim.lr");
  cli->footer(
      "Writes OUTPUT/recipe.yaml, OUTPUT/metrics.jsonl (one line per step), "
      "OUTPUT/checkpoint-STEP/ every train.save_every steps and OUTPUT/final/ (Hugging Face "
      "layout).\n"
      "Examples:\n"
      "  amkd sft recipes/sft_gpt2_dolly.yaml\n"
      "  amkd sft --model gpt2 --data data/dolly/train.jsonl --output runs/sft --epochs 3\n"
      "  amkd sft recipe.yaml --set train.batch_size=4 --set train.grad_accum=2");
  return {cli, [o]() {
            std::vector<std::string> flags = o->model.overrides();
            auto set = [&](const char* key, const std::string& v) { add_override(flags, key, v); };
            set("data.train", o->data);
            set("data.valid", o->valid);
            set("data.template", o->prompt_template);
            set("train.output_dir", o->output);
            set("train.max_steps", o->max_steps);
            set("train.epochs", o->epochs);
            set("optim.lr", o->lr);
            const auto recipe = o->recipe.resolve(flags);
            if (!recipe) return 0;
            run_sft(*recipe, std::cerr);
            return 0;
          }};
}

}  // namespace amkd::app
