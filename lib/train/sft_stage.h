#pragma once
// The SFT stage of a distillation recipe (sft_stage): the student fine-tuned on the training
// responses before it is distilled, as the AMMD paper and MiniLLM/DistiLLM prepare students.
// The stage's output lives in DIR/sft-HASH, HASH naming everything that decides its result
// (student, data, optimizer, schedule, seed, batch, steps): an unchanged stage is reused, a
// changed one is run again into its own directory.
#include <ostream>
#include <string>

#include "config/recipe.h"

namespace amkd {

// The recipe `amkd sft` runs for the stage (model = the recipe's student).
Recipe sft_stage_recipe(const Recipe& recipe);

// The stage's directory, DIR/sft-HASH.
std::string sft_stage_dir(const Recipe& recipe);

// With sft_stage.max_steps > 0: runs the stage unless its complete output exists, and returns
// the recipe with student.path set to the fine-tuned model. Otherwise returns the recipe as is.
Recipe with_sft_stage(const Recipe& recipe, std::ostream& console);

}  // namespace amkd
