#pragma once
// `amkd train`: distils recipe.teacher into recipe.student with AMMD or a baseline objective.
//
// One step: prompts from the sampler -> responses (dataset, teacher or student samples, cache,
// replay) -> teacher forward (no autograd) and student forward -> [ammd: critic.steps ascent
// steps] -> student loss, chunked over positions -> one gradient reduction -> AdamW step.
// Every random choice comes from generators the trainer owns and seeds from train.seed.
#include <cmath>
#include <ostream>
#include <string>
#include <vector>

#include "config/recipe.h"

namespace amkd {

// Settings that cannot be trained together (objective needs a teacher, source needs a cache,
// missing paths), found without touching any file; empty when none.
std::vector<std::string> train_recipe_problems(const Recipe& recipe);

// train_recipe_problems, then teacher/student tokenizer compatibility (tokenizers and configs
// only): one InputError listing what is wrong, before any model loads.
void check_train_recipe(const Recipe& recipe);

struct TrainSummary {
  int64_t steps = 0;
  double valid_tv_start = NAN, valid_tv_end = NAN;  // held-out token-level TV(teacher, student)
  std::string final_dir;
};

TrainSummary run_train(const Recipe& recipe, std::ostream& console);

}  // namespace amkd
