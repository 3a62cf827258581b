// C++ half of scripts/bench_forward.sh: times amkd's full forward (all-position logits, no KV
// cache, inference mode) on random ids, the same work transformers' eager forward does, on the
// CPU or a GPU, in fp32 or bf16.
#include <chrono>
#include <iostream>

#include <fmt/format.h>
#include <torch/torch.h>
#include <CLI/CLI.hpp>

#include "model/checkpoint.h"

int main(int argc, char** argv) {
  CLI::App app{"amkd forward benchmark"};
  std::string dir;
  std::string device_name = "cpu", dtype_name = "fp32";
  int64_t batch = 4, seq = 128, iters = 5, threads = 2;
  app.add_option("model", dir)->required();
  app.add_option("--batch", batch);
  app.add_option("--seq", seq);
  app.add_option("--iters", iters);
  app.add_option("--threads", threads);
  app.add_option("--device", device_name, "cpu or cuda[:N]");
  app.add_option("--dtype", dtype_name, "fp32, bf16 or fp16");
  CLI11_PARSE(app, argc, argv);
  torch::set_num_threads(static_cast<int>(threads));
  const torch::Device device(device_name);
  amkd::LoadOptions options;
  options.device = device;
  options.dtype = amkd::parse_dtype(dtype_name, "--dtype");
  amkd::CausalLM model = amkd::load_model(dir, options);
  c10::InferenceMode inference;
  torch::manual_seed(0);
  torch::Tensor ids =
      torch::randint(0, model->config().vocab_size, {batch, seq}, torch::kLong).to(device);
  // Waits for the GPU's queued work, so the clock measures it (no-op on the CPU).
  auto sync = [&] { ids.sum().item<int64_t>(); };
  for (int i = 0; i < 2; ++i) model->forward(ids);  // warm-up, as the Python side
  sync();
  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < iters; ++i) model->forward(ids);
  sync();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << fmt::format(R"({{"impl": "amkd", "tokens_per_s": {}, "batch": {}, "seq": {}}})",
                           static_cast<double>(batch * seq * iters) / seconds, batch, seq)
            << std::endl;
}
