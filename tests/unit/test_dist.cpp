#include "catch_torch.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <thread>

#include "common/errors.h"
#include "dist/process_group.h"

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

  CHECK(first_slurm_host("a1,a2") == "a1");
  CHECK(first_slurm_host("node[3]") == "node3");
  CHECK(first_slurm_host("x,y[1-2]") == "x");
  CHECK_THROWS_AS(first_slurm_host("node[1"), InputError);
  CHECK_THROWS_WITH(discover_dist_env(env_of({{"RANK", "two"}, {"WORLD_SIZE", "4"}})),
                    Catch::Contains("RANK='two' is not an integer"));
  CHECK_THROWS_WITH(discover_dist_env(env_of({{"RANK", "4"}, {"WORLD_SIZE", "4"}})),
                    Catch::Contains("rank 4 is not below the world size 4"));
}

TEST_CASE("all-reduce over the store sums every rank's tensors identically", "[dist]") {
  const int world = 3;
  const int port = free_loopback_port();
  std::vector<std::vector<torch::Tensor>> results(world);
  std::vector<std::string> errors(world);
  std::vector<std::thread> ranks;
  for (int r = 0; r < world; ++r) {
    ranks.emplace_back([&, r] {
      try {
        DistEnv env;
        env.rank = r;
        env.world_size = world;
        env.master_port = port;
        auto group = ProcessGroup::create(env, torch::kCPU, std::chrono::seconds(30));
        for (int call = 0; call < 3;
             ++call) {  // several calls: keys of one call never mix with the next
          std::vector<torch::Tensor> t = {
              torch::full({2, 3}, static_cast<float>(r + 1) * (call + 1)),
              torch::arange(4, torch::kFloat32) * static_cast<float>(r)};
          group->all_reduce_sum(t);
          if (call == 2) results[r] = t;
        }
      } catch (const std::exception& e) {
        errors[r] = e.what();
      }
    });
  }
  for (auto& t : ranks) t.join();
  for (int r = 0; r < world; ++r) {
    INFO("rank " << r << ": " << errors[r]);
    REQUIRE(errors[r].empty());
    CHECK(torch::equal(results[r][0], torch::full({2, 3}, (1.0f + 2.0f + 3.0f) * 3)));
    CHECK(torch::equal(results[r][1], torch::arange(4, torch::kFloat32) * 3.0f));  // 0 + 1 + 2
  }
}
