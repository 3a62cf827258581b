#include "catch_torch.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <functional>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "common/errors.h"
#include "dist/process_group.h"
#include "train/gradient_reduction.h"

using namespace amkd;

namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  return [shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}

int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

TEST_CASE("rank discovery from torchrun and SLURM variables", "[dist]") {
  DistEnv single = discover_dist_env(env_of({}));
  CHECK(single.world_size == 1);
  CHECK(single.source == "single process");

  DistEnv torchrun = discover_dist_env(env_of({{"RANK", "3"},
                                               {"WORLD_SIZE", "8"},
                                               {"LOCAL_RANK", "1"},
                                               {"MASTER_ADDR", "node7"},
                                               {"MASTER_PORT", "1234"}}));
  CHECK(torchrun.source == "torchrun");
  CHECK(torchrun.rank == 3);
  CHECK(torchrun.world_size == 8);
  CHECK(torchrun.local_rank == 1);
  CHECK(torchrun.master_addr == "node7");
  CHECK(torchrun.master_port == 1234);

  DistEnv slurm = discover_dist_env(env_of({{"SLURM_PROCID", "5"},
                                            {"SLURM_NTASKS", "16"},
                                            {"SLURM_LOCALID", "1"},
                                            {"SLURM_JOB_NODELIST", "gpu[07-09,12],cpu1"}}));
  CHECK(slurm.source == "slurm");
  CHECK(slurm.rank == 5);
  CHECK(slurm.world_size == 16);
  CHECK(slurm.local_rank == 1);
  CHECK(slurm.master_addr == "gpu07");
  CHECK(slurm.master_port == 29500);
  // Under a job, the port comes from the job id (every task derives the same one).
  DistEnv job = discover_dist_env(env_of({{"SLURM_PROCID", "0"},
                                          {"SLURM_NTASKS", "2"},
                                          {"SLURM_JOB_ID", "123456"},
                                          {"SLURM_JOB_NODELIST", "gpu01"}}));
  CHECK(job.master_port == 20000 + 123456 % 40000);

  // A recipe's dist: section comes before the environment; master address and port override.
  Recipe recipe;
  recipe.dist.world_size = 4;
  recipe.dist.rank = 2;
  recipe.dist.local_rank = 0;
  recipe.dist.master_port = 4321;
  DistEnv from_recipe = dist_env_for(
      recipe.dist, env_of({{"RANK", "3"}, {"WORLD_SIZE", "8"}, {"MASTER_ADDR", "node7"}}));
  CHECK(from_recipe.world_size == 4);
  CHECK(from_recipe.rank == 2);
  CHECK(from_recipe.master_addr == "node7");
  CHECK(from_recipe.master_port == 4321);
  recipe.dist.rank = 4;
  CHECK_THROWS_WITH(dist_env_for(recipe.dist, env_of({})),
                    Catch::Contains("dist: rank 4 and local_rank 0 must be below world_size 4"));

  CHECK(first_slurm_host("a1,a2") == "a1");
  CHECK(first_slurm_host("node[3]") == "node3");
  CHECK(first_slurm_host("x,y[1-2]") == "x");
  CHECK_THROWS_AS(first_slurm_host("node[1"), InputError);
  CHECK_THROWS_WITH(discover_dist_env(env_of({{"RANK", "two"}, {"WORLD_SIZE", "4"}})),
                    Catch::Contains("RANK='two' is not an integer"));
  CHECK_THROWS_WITH(discover_dist_env(env_of({{"RANK", "4"}, {"WORLD_SIZE", "4"}})),
                    Catch::Contains("rank 4 is not below the world size 4"));
}

// Runs body(group, rank) on `world` ranks (threads of this process, each with its own Gloo
// group over loopback); returns each rank's error message ("" when it finished).
std::vector<std::string> run_ranks(int world, GroupOptions options,
                                   const std::function<void(ProcessGroup&, int)>& body) {
  const int port = free_loopback_port();
  std::vector<std::string> errors(world);
  std::vector<std::thread> ranks;
  for (int r = 0; r < world; ++r) {
    ranks.emplace_back([&, r] {
      try {
        DistEnv env;
        env.rank = r;
        env.world_size = world;
        env.master_port = port;
        auto group = ProcessGroup::create(env, torch::kCPU, options);
        body(*group, r);
      } catch (const std::exception& e) {
        errors[r] = e.what();
      }
    });
  }
  for (auto& t : ranks) t.join();
  return errors;
}

TEST_CASE("Gloo all-reduce sums every rank's tensors identically, in buckets", "[dist]") {
  const int world = 3;
  // Buckets of 64 bytes: the 24-byte and 16-byte tensors share one, the 400-byte tensor goes
  // alone, float64 never shares a bucket with float32, and a non-contiguous tensor is copied.
  GroupOptions options;
  options.timeout = std::chrono::seconds(30);
  options.bucket_bytes = 64;
  std::vector<std::vector<torch::Tensor>> results(world);
  auto errors = run_ranks(world, options, [&](ProcessGroup& group, int r) {
    const float w = static_cast<float>(r + 1);
    for (int call = 0; call < 3; ++call) {  // several calls: buckets of one call never mix
      std::vector<torch::Tensor> t = {
          torch::full({2, 3}, w * (call + 1)), torch::arange(4, torch::kFloat32) * (w - 1),
          torch::arange(100, torch::kFloat32) * w, torch::full({3}, w, torch::kFloat64),
          (torch::arange(6, torch::kFloat32).view({2, 3}) * w).t()};
      group.all_reduce_sum(t);
      if (call == 2) results[r] = t;
    }
  });
  for (int r = 0; r < world; ++r) {
    INFO("rank " << r << ": " << errors[r]);
    REQUIRE(errors[r].empty());
    const auto& t = results[r];
    CHECK(torch::equal(t[0], torch::full({2, 3}, (1.0f + 2.0f + 3.0f) * 3)));
    CHECK(torch::equal(t[1], torch::arange(4, torch::kFloat32) * 3.0f));  // 0 + 1 + 2
    CHECK(torch::equal(t[2], torch::arange(100, torch::kFloat32) * 6.0f));
    CHECK(torch::equal(t[3], torch::full({3}, 6.0, torch::kFloat64)));
    CHECK(torch::equal(t[4], (torch::arange(6, torch::kFloat32).view({2, 3}) * 6.0f).t()));
  }
}

TEST_CASE("Gloo all-reduce of a 3.3M-parameter model's gradients (the size that crashed)",
          "[dist]") {
  // GPT-2's vocabulary and a 64-wide, 2-layer Llama student: the gradient list of the run in
  // issue 13 (26 MB; the store refused anything over 8 MB). Rank r holds r + 1 + i/n.
  const std::vector<std::vector<int64_t>> shapes = {
      {50257, 64}, {64},      {64, 64},  {16, 64},  {16, 64},  {64, 64}, {64},
      {172, 64},   {172, 64}, {64, 172}, {64},      {64, 64},  {16, 64}, {16, 64},
      {64, 64},    {64},      {172, 64}, {172, 64}, {64, 172}, {64},     {50257, 64}};
  GroupOptions options;
  options.timeout = std::chrono::seconds(60);
  options.bucket_bytes = 4 << 20;
  std::vector<std::string> mismatch(2);
  auto errors = run_ranks(2, options, [&](ProcessGroup& group, int r) {
    std::vector<torch::Tensor> grads;
    int64_t n = 0;
    for (const auto& s : shapes) {
      auto g = torch::empty(s);
      grads.push_back(g.copy_(torch::arange(g.numel(), torch::kFloat32).view(s) / 1000.0f +
                              static_cast<float>(r + 1)));
      n += g.numel();
    }
    REQUIRE(n > 3'300'000);
    group.all_reduce_sum(grads);
    for (size_t i = 0; i < shapes.size(); ++i) {
      auto want = torch::arange(grads[i].numel(), torch::kFloat32).view(shapes[i]) / 1000.0f;
      want = (want + 1.0f) + (want + 2.0f);  // rank 0's term first, as every rank adds
      if (!torch::allclose(grads[i], want, 0, 0)) mismatch[r] += fmt::format("tensor {} ", i);
    }
  });
  for (int r = 0; r < 2; ++r) {
    INFO("rank " << r << ": " << errors[r]);
    CHECK(errors[r].empty());
    CHECK(mismatch[r].empty());
  }
}

TEST_CASE("check_same stops every rank when the ranks' parameters differ", "[dist]") {
  GroupOptions options;
  options.timeout = std::chrono::seconds(30);
  auto same = run_ranks(2, options, [](ProcessGroup& group, int) {
    // Identical values agree bit for bit, NaN included (a NaN is not equal to itself as a number).
    group.check_same(
        {torch::arange(10, torch::kFloat32), torch::ones({3}), torch::full({2}, std::nan(""))},
        "student parameters");
  });
  CHECK(same == std::vector<std::string>{"", ""});
  // Same values in another order, and one value changed in its last bit on rank 1.
  for (int kind = 0; kind < 2; ++kind) {
    auto differ = run_ranks(2, options, [&](ProcessGroup& group, int r) {
      std::vector<torch::Tensor> p = {torch::arange(10, torch::kFloat32), torch::ones({3})};
      if (r == 1 && kind == 0) std::swap(p[0], p[1]);
      if (r == 1 && kind == 1) p[0][7] = std::nextafter(7.0f, 8.0f);
      group.check_same(p, "critic parameters after step 5");
    });
    for (int r = 0; r < 2; ++r) {
      INFO("kind " << kind << ", rank " << r);
      CHECK_THAT(differ[r],
                 Catch::Contains("ranks diverged: the critic parameters after step 5 of rank 1"));
    }
  }
}
