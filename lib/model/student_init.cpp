#include "model/student_init.h"

#include <cmath>
#include <regex>

#include <fmt/format.h>

#include "common/errors.h"

namespace amkd {

std::vector<int64_t> pick_layers(int64_t teacher_layers, int64_t keep, const std::string& pick) {
  if (keep < 1 || keep > teacher_layers)
    throw InputError(fmt::format("--layers {}: the teacher has {} layers; keep 1 to {}", keep,
                                 teacher_layers, teacher_layers));
  std::vector<int64_t> ids;
  if (pick == "first") {
    for (int64_t i = 0; i < keep; ++i) ids.push_back(i);
  } else if (pick == "spread") {
    for (int64_t i = 0; i < keep; ++i)
      ids.push_back(keep == 1 ? 0
                              : static_cast<int64_t>(std::lround(
                                    static_cast<double>(i) * (teacher_layers - 1) / (keep - 1))));
  } else {
    throw InputError(fmt::format("--pick '{}': expected spread or first", pick));
  }
  return ids;
}

CausalLM student_from_layers(CausalLMImpl& teacher, const std::vector<int64_t>& layer_ids) {
  ModelConfig config = teacher.config();
  config.num_layers = static_cast<int64_t>(layer_ids.size());
  config.raw[config.family == Family::kGpt2 ? "n_layer" : "num_hidden_layers"] = config.num_layers;
  const torch::Tensor any = teacher.parameters().front();
  CausalLM student(config, torch::TensorOptions().dtype(any.scalar_type()).device(any.device()));
  static const std::regex layer(R"(^(model\.layers\.|transformer\.h\.)(\d+)\.(.*)$)");
  torch::NoGradGuard no_grad;
  for (auto& p : student->named_parameters()) {
    std::string source = p.key();
    std::smatch m;
    if (std::regex_match(p.key(), m, layer))
      source = fmt::format("{}{}.{}", m[1].str(), layer_ids.at(std::stoul(m[2].str())), m[3].str());
    p.value().copy_(teacher.parameter(source));
  }
  return student;
}

}  // namespace amkd
