#pragma once
// Each command file registers a CLI11 subcommand and returns how to run it once parsed.
#include <functional>
#include <optional>
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
Command add_tokenize_command(CLI::App& root);
Command add_check_command(CLI::App& root);
Command add_generate_command(CLI::App& root);
Command add_sft_command(CLI::App& root);
Command add_train_command(CLI::App& root);
Command add_eval_command(CLI::App& root);
Command add_init_student_command(CLI::App& root);
Command add_launch_command(CLI::App& root);

// --recipe / --set / --dump-config, shared by every command. Command flags such as --model are
// recipe keys too: they are passed to resolve() as overrides applied before --set.
struct RecipeFlags {
  std::string recipe;
  std::vector<std::string> sets;
  bool dump = false;

  // `positional`: the recipe may also be given as the first argument ("amkd sft RECIPE").
  void add_to(CLI::App* cli, bool positional = false);
  // The resolved recipe; with --dump-config it is printed instead and nullopt returned (the
  // command then exits 0 without running).
  std::optional<Recipe> resolve(const std::vector<std::string>& flag_overrides) const;
};

// Appends "key=value" (value quoted for YAML) when a flag was given (`value` non-empty).
void add_override(std::vector<std::string>& overrides, const char* key, const std::string& value);

// --model/--dtype/--device: sugar for the recipe's model section.
struct ModelFlags {
  std::string path, dtype, device;
  std::vector<std::string> overrides() const;
};

// model.path, or an InputError telling the user of `command` to give one.
const std::string& require_model_path(const Recipe& recipe, const char* command);

}  // namespace amkd::app
