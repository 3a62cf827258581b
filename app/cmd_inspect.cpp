#include <iostream>

#include "command.h"
#include "model/inspect.h"

namespace amkd::app {

Command add_inspect_command(CLI::App& root) {
  struct Options {
    std::string dir;
    bool json = false;
    RecipeFlags recipe;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cli = root.add_subcommand(
      "inspect", "architecture, sizes, parameter count, dtype and tokenizer of a checkpoint");
  cli->add_option("dir", o->dir, "Hugging Face model directory (sets model.path)");
  cli->add_flag("--json", o->json, "print one JSON object instead of text");
  o->recipe.add_to(cli);
  cli->footer(
      "Examples:\n"
      "  amkd inspect runs/student\n"
      "  amkd inspect models/teacher --json");
  return {cli, [o]() {
            std::vector<std::string> flags;
            if (!o->dir.empty()) flags.push_back("model.path=" + yaml_quote(o->dir));
            Recipe recipe = o->recipe.resolve(flags);
            if (o->recipe.dump) {
              std::cout << dump_recipe(recipe);
              return 0;
            }
            if (recipe.model.path.empty())
              throw InputError("inspect: give a model directory (DIR or model.path)");
            auto info = inspect_checkpoint(recipe.model.path);
            std::cout << (o->json ? info.dump(2) + "\n" : format_inspection(info));
            return 0;
          }};
}

}  // namespace amkd::app
