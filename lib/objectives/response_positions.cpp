#include "objectives/response_positions.h"

namespace amkd {

ResponsePositions response_positions(const torch::Tensor& mask, const torch::Tensor& tokens) {
  const torch::Tensor m = mask.to(torch::kCPU, torch::kBool);
  const torch::Tensor lengths = m.sum(1);   // [B]
  const torch::Tensor where = m.nonzero();  // [N, 2] row-major
  ResponsePositions p;
  p.row = where.select(1, 0).contiguous();
  p.step = (m.to(torch::kInt64).cumsum(1) - 1).index({m});
  p.weight = 1.0 / lengths.index_select(0, p.row).to(torch::kFloat32);
  p.token = tokens.to(torch::kCPU).index({m});
  p.sequences = (lengths > 0).sum().item<int64_t>();
  return p;
}

}  // namespace amkd
