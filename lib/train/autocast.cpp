#include "train/autocast.h"

#include <ATen/autocast_mode.h>

namespace amkd {

AutocastScope::AutocastScope(bool enabled, c10::DeviceType device, torch::ScalarType dtype)
    : enabled_(enabled), device_(device) {
  if (!enabled_) return;
  previous_enabled_ = at::autocast::is_autocast_enabled(device_);
  previous_dtype_ = at::autocast::get_autocast_dtype(device_);
  at::autocast::set_autocast_dtype(device_, dtype);
  at::autocast::set_autocast_enabled(device_, true);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!enabled_) return;
  // Leaving the outermost scope frees the casted-weight cache, as torch.autocast's __exit__.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_autocast_enabled(device_, previous_enabled_);
  at::autocast::set_autocast_dtype(device_, previous_dtype_);
}

}  // namespace amkd
