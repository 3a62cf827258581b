#pragma once
// Recipe loading: defaults < YAML file < overrides ("--set optim.lr=1e-4"), in that order.
// Every problem (syntax, wrong type, rule broken, unknown key) is reported in one InputError,
// each line naming where (file:line or the --set flag), the key path, what was expected and
// what was found.
#include <string>
#include <vector>

#include "config/recipe.h"

namespace amkd {

struct RecipeSource {
  std::string path;                    // empty: no file, defaults only
  std::vector<std::string> overrides;  // "key.path=value", YAML-parsed value, applied in order
};

Recipe load_recipe(const RecipeSource& source);

// The resolved recipe as YAML that load_recipe reads back to the same values.
std::string dump_recipe(const Recipe& recipe);

// A string as a YAML scalar that reads back as the same string (quoted only when needed).
std::string yaml_scalar(const std::string& value);

// One row per key: for the README's reference and the test that keeps it in sync.
struct RecipeKeyDoc {
  std::string key;  // "optim.lr"
  std::string type;
  std::string default_value;
  std::string doc;
};
std::vector<RecipeKeyDoc> describe_recipe();

}  // namespace amkd
