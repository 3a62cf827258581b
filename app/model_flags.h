#pragma once
// The model a command loads, from the recipe's model section.
#include <torch/torch.h>

#include "config/recipe.h"
#include "model/checkpoint.h"

namespace amkd::app {

inline LoadOptions load_options(const ModelSection& m) {
  return {parse_dtype(m.dtype, "model.dtype"), torch::Device(m.device)};
}

}  // namespace amkd::app
