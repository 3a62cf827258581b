#include <iostream>

#include "command.h"
#include "model/inspect.h"

namespace amkd::app {

Command add_inspect_command(CLI::App& root) {
  struct Options {
    ModelFlags model;
    bool json = false;
    RecipeFlags recipe;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cli = root.add_subcommand(
      "inspect", "architecture, sizes, parameter count, dtype and tokenizer of a checkpoint");
  cli->add_option("dir", o->model.path, "Hugging Face model directory (sets model.path)");
  cli->add_flag("--json", o->json, "print one JSON object instead of text");
  o->recipe.add_to(cli);
  cli->footer(
      "Examples:\n"
      "  amkd inspect runs/student\n"
      "  amkd inspect models/teacher --json");
  return {cli, [o]() {
            const auto recipe = o->recipe.resolve(o->model.overrides());
            if (!recipe) return 0;
            auto info = inspect_checkpoint(require_model_path(*recipe, "inspect"));
            std::cout << (o->json ? info.dump(2) + "\n" : format_inspection(info));
            return 0;
          }};
}

}  // namespace amkd::app
