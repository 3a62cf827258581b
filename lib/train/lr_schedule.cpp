#include "train/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace amkd {

double learning_rate_at(const ScheduleSection& schedule, double peak_lr, int64_t step,
                        int64_t total_steps) {
  if (step < schedule.warmup_steps)
    return peak_lr * static_cast<double>(step) /
           static_cast<double>(std::max<int64_t>(1, schedule.warmup_steps));
  if (schedule.type == "constant") return peak_lr;
  const double progress =
      std::clamp(static_cast<double>(step - schedule.warmup_steps) /
                     static_cast<double>(std::max<int64_t>(1, total_steps - schedule.warmup_steps)),
                 0.0, 1.0);
  const double factor =
      schedule.type == "linear" ? 1.0 - progress : 0.5 * (1.0 + std::cos(M_PI * progress));
  return peak_lr * (schedule.min_lr_ratio + (1.0 - schedule.min_lr_ratio) * factor);
}

}  // namespace amkd
