#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "command.h"
#include "model/checkpoint.h"
#include "model/student_init.h"
#include "model_flags.h"

namespace amkd::app {

Command add_init_student_command(CLI::App& root) {
  struct Options {
    ModelFlags model;
    std::string output, pick = "spread";
    int64_t layers = 0;
    RecipeFlags recipe;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cli = root.add_subcommand(
      "init-student", "make a student from a teacher by keeping some of its layers");
  cli->add_option("--teacher", o->model.path, "teacher: Hugging Face model directory")->required();
  cli->add_option("--layers", o->layers, "how many layers the student keeps")->required();
  cli->add_option("--pick", o->pick,
                  "spread: evenly from the first to the last layer; first: the first N")
      ->capture_default_str();
  cli->add_option("--output", o->output, "student directory to write (atomically)")->required();
  cli->add_option("--dtype", o->model.dtype, "stored dtype fp32|bf16|fp16 (default fp32)");
  o->recipe.add_to(cli);
  cli->footer(
      "The student shares the teacher's tokenizer, embeddings, final norm and LM head.\n"
      "Examples:\n"
      "  amkd init-student --teacher models/smollm2-135m --layers 8 --output models/student\n"
      "  amkd init-student --teacher models/gpt2-xl --layers 12 --pick first --output s");
  return {cli, [o]() {
            const auto recipe = o->recipe.resolve(o->model.overrides());
            if (!recipe) return 0;
            const std::string& teacher_dir = require_model_path(*recipe, "init-student");
            CausalLM teacher = load_model(teacher_dir, load_options(recipe->model));
            const auto ids = pick_layers(teacher->config().num_layers, o->layers, o->pick);
            CausalLM student = student_from_layers(*teacher, ids);
            SaveOptions save;
            save.source_dir = teacher_dir;
            save_model(*student, o->output, save);
            int64_t params = 0;
            for (const auto& p : student->parameters()) params += p.numel();
            std::cerr << fmt::format(
                "wrote {}: {} of {}'s {} layers (teacher layers {}), {:.1f}M parameters\n",
                o->output, ids.size(), teacher_dir, teacher->config().num_layers,
                fmt::join(ids, ","), params / 1e6);
            return 0;
          }};
}

}  // namespace amkd::app
