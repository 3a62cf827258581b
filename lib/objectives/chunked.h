#pragma once
// Vocabulary-wide work chunked over positions: only one chunk's [chunk, V] tensors are alive at
// a time, so peak memory grows with the chunk size, not with batch x length. Logits come from
// producers that compute a chunk on demand (an LM head applied to cached hidden states).
#include <cstdint>
#include <functional>

#include <torch/torch.h>

namespace amkd {

// Logits [end - begin, V] of positions [begin, end).
using LogitsFn = std::function<torch::Tensor(int64_t begin, int64_t end)>;

// Sums chunk_loss(begin, end) (a scalar) over [0, n) in chunks of `chunk` positions. With
// `backward`, each chunk's value is backpropagated as soon as it is computed (gradients add up
// in the leaves the producers read from); without, it runs under no_grad. Returns the total.
double sum_over_chunks(int64_t n, int64_t chunk, bool backward,
                       const std::function<torch::Tensor(int64_t, int64_t)>& chunk_loss);

// A differentiable tensor [N, ...] cut into a detached leaf for chunked work: chunks read
// slices of leaf(); finish() then backpropagates the gradient gathered in the leaf through the
// original graph (e.g. the decoder that produced hidden states).
class ChunkedLeaf {
 public:
  explicit ChunkedLeaf(torch::Tensor source);
  const torch::Tensor& leaf() const { return leaf_; }
  void finish();

 private:
  torch::Tensor source_, leaf_;
};

}  // namespace amkd
