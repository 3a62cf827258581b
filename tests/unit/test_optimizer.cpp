#include "catch_torch.h"

#include <cmath>

#include "train/lr_schedule.h"
#include "train/optimizer.h"

using namespace amkd;

TEST_CASE("learning-rate schedules follow their closed forms", "[train]") {
  ScheduleSection s;
  s.warmup_steps = 10;
  s.min_lr_ratio = 0.1;
  s.type = "cosine";
  CHECK(learning_rate_at(s, 1.0, 0, 110) == 0.0);
  CHECK(learning_rate_at(s, 1.0, 5, 110) == Approx(0.5));
  CHECK(learning_rate_at(s, 1.0, 10, 110) == Approx(1.0));
  CHECK(learning_rate_at(s, 1.0, 60, 110) == Approx(0.1 + 0.9 * 0.5));  // half way: cos = 0
  CHECK(learning_rate_at(s, 1.0, 35, 110) == Approx(0.1 + 0.9 * 0.5 * (1 + std::cos(M_PI / 4))));
  CHECK(learning_rate_at(s, 1.0, 110, 110) == Approx(0.1));
  s.type = "linear";
  CHECK(learning_rate_at(s, 2.0, 85, 110) == Approx(2.0 * (0.1 + 0.9 * 0.25)));
  s.type = "constant";
  CHECK(learning_rate_at(s, 2.0, 85, 110) == 2.0);
}

TEST_CASE("AdamW decays matrices only and matches the update computed by hand", "[train]") {
  OptimSection o;
  o.lr = 0.1;
  o.betas = {0.9, 0.99};
  o.eps = 1e-8;
  o.weight_decay = 0.5;
  o.grad_clip = 0;
  torch::Tensor w = torch::tensor({{1.0, -2.0}, {0.5, 3.0}}, torch::kFloat64).requires_grad_();
  torch::Tensor b = torch::tensor({1.0, -1.0}, torch::kFloat64).requires_grad_();
  Optimizer opt({w, b}, o);
  const std::vector<double> grads = {0.3, -0.2,
                                     0.1};  // the gradient of every element at steps 1..3
  // Independent AdamW (decoupled decay: p -= lr * wd * p before the Adam step).
  auto reference = [&](double p, double wd) {
    double m = 0, v = 0;
    for (size_t t = 1; t <= grads.size(); ++t) {
      const double g = grads[t - 1];
      p -= o.lr * wd * p;
      m = o.betas[0] * m + (1 - o.betas[0]) * g;
      v = o.betas[1] * v + (1 - o.betas[1]) * g * g;
      const double mhat = m / (1 - std::pow(o.betas[0], t)),
                   vhat = v / (1 - std::pow(o.betas[1], t));
      p -= o.lr * mhat / (std::sqrt(vhat) + o.eps);
    }
    return p;
  };
  const auto w0 = w.detach().clone(), b0 = b.detach().clone();
  for (double g : grads) {
    opt.zero_grad();
    w.mutable_grad() = torch::full_like(w, g);
    b.mutable_grad() = torch::full_like(b, g);
    opt.step(o.lr);
  }
  for (int i = 0; i < 4; ++i)
    CHECK(w.view({-1})[i].item<double>() ==
          Approx(reference(w0.view({-1})[i].item<double>(), 0.5)).epsilon(1e-10));
  for (int i = 0; i < 2; ++i)
    CHECK(b[i].item<double>() == Approx(reference(b0[i].item<double>(), 0.0)).epsilon(1e-10));
}

TEST_CASE("gradient clipping scales the global norm down to the limit", "[train]") {
  OptimSection o;
  o.grad_clip = 1.0;
  o.lr = 1e-3;
  torch::Tensor w = torch::zeros({2, 2}).requires_grad_();
  Optimizer opt({w}, o);
  w.mutable_grad() = torch::full({2, 2}, 3.0);  // norm 6
  CHECK(opt.step(o.lr) == Approx(6.0));
  CHECK(w.grad().norm().item<double>() == Approx(1.0));
}
