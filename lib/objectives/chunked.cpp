#include "objectives/chunked.h"

#include <algorithm>

namespace amkd {

double sum_over_chunks(int64_t n, int64_t chunk, bool backward,
                       const std::function<torch::Tensor(int64_t, int64_t)>& chunk_loss) {
  chunk = std::max<int64_t>(1, chunk);
  double total = 0;
  for (int64_t begin = 0; begin < n; begin += chunk) {
    const int64_t end = std::min(n, begin + chunk);
    if (backward) {
      torch::Tensor loss = chunk_loss(begin, end);
      if (loss.requires_grad()) loss.backward();
      total += loss.item<double>();
    } else {
      torch::NoGradGuard no_grad;
      total += chunk_loss(begin, end).item<double>();
    }
  }
  return total;
}

ChunkedLeaf::ChunkedLeaf(torch::Tensor source) : source_(std::move(source)) {
  leaf_ = source_.detach().requires_grad_(source_.requires_grad());
}

void ChunkedLeaf::finish() {
  if (source_.requires_grad() && leaf_.grad().defined()) source_.backward(leaf_.grad());
}

}  // namespace amkd
