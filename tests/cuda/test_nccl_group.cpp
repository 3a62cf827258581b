#include "catch_torch.h"

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "dist/process_group.h"

TEST_CASE("NCCL process group all-reduce on one GPU keeps values", "[cuda]") {
  amkd::DistEnv env;  // world size 1: the collective still runs through NCCL
  c10d::TCPStoreOptions options;
  options.port = 0;  // any free port; nobody else joins
  options.isServer = true;
  options.numWorkers = 1;
  auto store = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", options);
  amkd::GroupOptions group_options;
  group_options.bucket_bytes = 48;  // the first two tensors share a bucket, the third is alone
  auto group = amkd::create_nccl_group(env, store, torch::Device(torch::kCUDA, 0), group_options);
  std::vector<torch::Tensor> t = {torch::arange(10, torch::kFloat32).cuda(),
                                  torch::ones({2}).cuda() * 3, torch::ones({20}).cuda()};
  group->all_reduce_sum(t);
  CHECK(torch::equal(t[0].cpu(), torch::arange(10, torch::kFloat32)));
  CHECK(torch::equal(t[1].cpu(), torch::ones({2}) * 3));
  CHECK(torch::equal(t[2].cpu(), torch::ones({20})));
}
