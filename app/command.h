#pragma once
// Each command file registers a CLI11 subcommand and returns how to run it once parsed.
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/errors.h"
#include "config/recipe_loader.h"

namespace amkd::app {

struct Command {
  CLI::App* cli = nullptr;
  std::function<int()> run;
};

Command add_inspect_command(CLI::App& root);
Command add_score_command(CLI::App& root);
Command add_convert_command(CLI::App& root);

// --recipe / --set / --dump-config, shared by every command. Command flags such as --model are
// recipe keys too: they are passed to resolve() as overrides applied before --set.
struct RecipeFlags {
  std::string recipe;
  std::vector<std::string> sets;
  bool dump = false;

  void add_to(CLI::App* cli);
  Recipe resolve(const std::vector<std::string>& flag_overrides) const;
};

// Quotes a flag value for an override ("model.path=" + yaml_quote(dir)).
std::string yaml_quote(const std::string& value);

}  // namespace amkd::app
