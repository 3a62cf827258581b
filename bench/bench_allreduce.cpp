// C++ half of scripts/bench_dist.sh: all-reduce bandwidth of amkd's process group (Gloo on CPU,
// NCCL on CUDA) on a gradient-sized list of tensors, through ProcessGroup::all_reduce_sum and its
// buckets, as a training step reduces them. Run under amkd launch (or torchrun); rank 0 prints
// one JSON line: the median seconds per reduction and the algorithm bandwidth (bytes / second).
#include <algorithm>
#include <chrono>
#include <iostream>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "dist/process_group.h"

int main(int argc, char** argv) {
  CLI::App app{"amkd all-reduce benchmark"};
  int64_t params = 135'000'000;
  int repeats = 5;
  double bucket_mb = 25;
  std::string device = "cpu";
  app.add_option("--params", params, "float32 values reduced (a model's gradient)");
  app.add_option("--repeats", repeats);
  app.add_option("--bucket-mb", bucket_mb);
  app.add_option("--device", device);
  CLI11_PARSE(app, argc, argv);
  const amkd::DistEnv env = amkd::discover_dist_env();
  amkd::GroupOptions options;
  options.bucket_bytes = static_cast<int64_t>(bucket_mb * (1 << 20));
  const torch::Device dev =
      device == "cpu" ? torch::Device(torch::kCPU) : torch::Device(torch::kCUDA, env.local_rank);
  auto group = amkd::ProcessGroup::create(env, dev, options);
  // Tensors of a transformer's sizes: 1M-value matrices and one embedding of the rest.
  std::vector<torch::Tensor> grads;
  int64_t left = params;
  while (left > 0) {
    const int64_t n = left > 40'000'000 ? 1'048'576 : left;
    grads.push_back(torch::ones({n}, torch::TensorOptions().device(dev)));
    left -= n;
  }
  std::vector<double> times;
  for (int r = 0; r <= repeats; ++r) {  // the first is a warm-up
    group->barrier();
    const auto start = std::chrono::steady_clock::now();
    group->all_reduce_sum(grads);
    if (dev.is_cuda()) grads.back().cpu();  // wait for the GPU
    if (r > 0)
      times.push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  const double median = times[times.size() / 2];
  const double bytes = static_cast<double>(params) * 4;
  if (env.rank == 0)
    std::cout << nlohmann::json{{"ranks", env.world_size}, {"device", device},
                                {"params", params},        {"bucket_mb", bucket_mb},
                                {"seconds", median},       {"MB_per_s", bytes / median / 1e6}}
                     .dump()
              << "\n";
  return 0;
}
