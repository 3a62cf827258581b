#include "catch_torch.h"

#include <torch/torch.h>

#include "rms_norm.h"

namespace {

// The CPU reference: transformers' LlamaRMSNorm arithmetic.
torch::Tensor rms_norm_reference(const torch::Tensor& x, const torch::Tensor& w, double eps) {
  torch::Tensor xf = x.to(torch::kFloat32);
  xf = xf * torch::rsqrt(xf.pow(2).mean(-1, true) + eps);
  return w * xf.to(x.scalar_type());
}

}  // namespace

TEST_CASE("fused RMSNorm equals the CPU reference", "[cuda]") {
  torch::manual_seed(0);
  for (auto [dtype, tol] : std::vector<std::pair<torch::ScalarType, double>>{
           {torch::kFloat32, 1e-5}, {torch::kBFloat16, 4e-2}, {torch::kFloat16, 4e-3}}) {
    for (int64_t hidden : {1, 31, 64, 257, 4096}) {
      INFO("dtype " << c10::toString(dtype) << " hidden " << hidden);
      torch::Tensor x = (torch::randn({3, 5, hidden}) * 3).to(dtype);
      torch::Tensor w = torch::randn({hidden}).to(dtype);
      torch::Tensor want = rms_norm_reference(x, w, 1e-6).to(torch::kFloat32);
      torch::Tensor got = amkd::cuda::rms_norm(x.cuda(), w.cuda(), 1e-6).cpu().to(torch::kFloat32);
      CHECK((got - want).abs().max().item<double>() <=
            tol * std::max(1.0, want.abs().max().item<double>()));
    }
  }
}
