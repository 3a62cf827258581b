#pragma once
// Mixed precision for a scope: eligible ops (matmuls) run in `dtype` while parameters stay fp32,
// as torch.autocast does. Disabled guards do nothing.
#include <torch/torch.h>

namespace amkd {

class AutocastScope {
 public:
  AutocastScope(bool enabled, c10::DeviceType device, torch::ScalarType dtype);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool enabled_;
  c10::DeviceType device_;
  bool previous_enabled_ = false;
  torch::ScalarType previous_dtype_ = torch::kFloat32;
};

}  // namespace amkd
