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

#include "config/recipe.h"

namespace amkd {

// Problems that make a recipe unusable for training, found before any model loads (objective
// needs a teacher, missing paths, incompatible tokenizers). Throws one InputError listing them.
void check_train_recipe(const Recipe& recipe);

struct TrainSummary {
  int64_t steps = 0;
  double valid_tv_start = NAN, valid_tv_end = NAN;  // held-out token-level TV(teacher, student)
  std::string final_dir;
};

TrainSummary run_train(const Recipe& recipe, std::ostream& console);

}  // namespace amkd
