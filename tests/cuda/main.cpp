// [cuda] tests: each fused kernel against its CPU reference. Without a GPU the whole executable
// reports "skipped" to ctest (exit 77) instead of failing.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <iostream>

#include <torch/torch.h>

int main(int argc, char** argv) {
  if (!torch::cuda::is_available()) {
    std::cout << "no CUDA device: [cuda] tests skipped\n";
    return 77;
  }
  return Catch::Session().run(argc, argv);
}
