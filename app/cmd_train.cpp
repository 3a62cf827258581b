#include <iostream>

#include "command.h"
#include "train/distill_trainer.h"
#include "train/sft_stage.h"

namespace amkd::app {

Command add_train_command(CLI::App& root) {
  struct Options {
    std::string teacher, student, data, output, objective, max_steps, device;
    RecipeFlags recipe;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cli = root.add_subcommand(
      "train", "distil a teacher into a student (AMMD or a baseline objective)");
  o->recipe.add_to(cli, true);
  cli->add_option("--teacher", o->teacher, "teacher model directory (sets teacher.path)");
  cli->add_option("--student", o->student, "student model directory (sets student.path)");
  cli->add_option("--data", o->data, "training JSONL (sets data.train)");
  cli->add_option("--objective", o->objective,
                  "ammd, sft, fkl, rkl, jsd, skl, srkl or tvd (sets objective.type)");
  cli->add_option("--output", o->output, "run directory (sets train.output_dir)");
  cli->add_option("--max-steps", o->max_steps, "sets train.max_steps");
  cli->add_option("--device", o->device, "cpu or cuda[:N] for both models");
  cli->footer(
      "Writes OUTPUT/recipe.yaml, OUTPUT/metrics.jsonl (every loss term, d_on/d_off, TV, "
      "timings per step), OUTPUT/checkpoint-STEP/ and OUTPUT/final/ (Hugging Face layout).\n"
      "Examples:\n"
      "  amkd train recipes/ammd_gpt2xl_to_gpt2_dolly.yaml\n"
      "  amkd train recipe.yaml --objective fkl --set rollout.source=mixed --output runs/gkd\n"
      "  srun amkd train recipe.yaml --device cuda   # one process per GPU, NCCL");
  return {cli, [o]() {
            std::vector<std::string> flags;
            auto set = [&](const char* key, const std::string& v) { add_override(flags, key, v); };
            set("teacher.path", o->teacher);
            set("student.path", o->student);
            set("data.train", o->data);
            set("objective.type", o->objective);
            set("train.output_dir", o->output);
            set("train.max_steps", o->max_steps);
            set("teacher.device", o->device);
            set("student.device", o->device);
            const auto recipe = o->recipe.resolve(flags);
            if (!recipe) return 0;
            check_train_recipe(*recipe);
            run_train(with_sft_stage(*recipe, std::cerr), std::cerr);
            return 0;
          }};
}

}  // namespace amkd::app
