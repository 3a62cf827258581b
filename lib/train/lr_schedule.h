#pragma once
// Learning rate at an optimizer step: linear warm-up from 0, then constant, linear decay or
// cosine decay to min_lr_ratio x peak at the last step (transformers' schedules with a floor).
#include <cstdint>

#include "config/recipe.h"

namespace amkd {

double learning_rate_at(const ScheduleSection& schedule, double peak_lr, int64_t step,
                        int64_t total_steps);

}  // namespace amkd
