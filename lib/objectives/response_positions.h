#pragma once
// The response positions of a batch, flattened row-major: the states s_t at which the
// objectives compare teacher and student (prompt and padding positions excluded).
#include <cstdint>

#include <torch/torch.h>

namespace amkd {

struct ResponsePositions {
  torch::Tensor row;      // [N] int64: the sequence of each position
  torch::Tensor step;     // [N] int64: index within that sequence's response (0..T-1)
  torch::Tensor weight;   // [N] float: 1 / T of its sequence (per-sequence averages)
  torch::Tensor token;    // [N] int64: the token taken at the state (y_t)
  int64_t sequences = 0;  // rows with at least one position
  int64_t count() const { return row.defined() ? row.size(0) : 0; }
};

// From a [B, T] bool mask and the [B, T] tokens taken at each masked position.
ResponsePositions response_positions(const torch::Tensor& mask, const torch::Tensor& tokens);

}  // namespace amkd
