#include "catch_torch.h"

#include <filesystem>

#include "config/recipe_loader.h"
#include "test_paths.h"
#include "train/distill_trainer.h"

using namespace amkd;

TEST_CASE("every recipe in recipes/ loads, validates and uses the published GPT-2 settings",
          "[recipes]") {
  int count = 0;
  bool quickstart = false;
  for (const auto& entry : std::filesystem::directory_iterator(test::source_dir() / "recipes")) {
    if (entry.path().extension() != ".yaml") continue;
    const std::string name = entry.path().filename().string();
    INFO(name);
    const Recipe r = load_recipe({entry.path().string(), {}});
    if (name == "quickstart.yaml") {  // sized for a 2-core CPU, run by scripts/quickstart.sh
      quickstart = true;
      CHECK(train_recipe_problems(r).empty());
      CHECK((r.objective.type == "ammd" && r.off_policy.source == "dataset"));
      CHECK(r.data.train == "data/dolly/minillm_dolly_train_11435.jsonl");
      continue;
    }
    ++count;
    const bool sft_command = name.find("_sft_") != std::string::npos;
    if (sft_command) {
      CHECK_FALSE(r.model.path.empty());
    } else {
      CHECK(train_recipe_problems(r).empty());
      CHECK_FALSE(r.teacher.path.empty());
    }
    // MiniLLM/DistiLLM GPT-2 scripts: lr 5e-4, batch 8, 20 epochs, max length 512 with prompts up
    // to 256, weight decay 0.01, clipping 1.0, cosine, sampling at temperature 1.0 and top-p 1.0.
    CHECK(r.optim.lr == 5e-4);
    CHECK(r.train.batch_size * r.train.grad_accum == 8);
    CHECK(r.train.epochs == 20);
    CHECK(r.data.max_length == 512);
    CHECK(r.data.max_prompt_length == 256);
    CHECK(r.optim.weight_decay == 0.01);
    CHECK(r.optim.grad_clip == 1.0);
    CHECK(r.schedule.type == "cosine");
    CHECK(r.generation.temperature == 1.0);
    CHECK(r.generation.top_p == 1.0);
    CHECK(r.data.prompt_template == "dolly");
  }
  CHECK(count == 14);  // 7 methods x 2 pairs
  CHECK(quickstart);
}

TEST_CASE("each published method maps to its objective and response source", "[recipes]") {
  const auto load = [](const std::string& name) {
    return load_recipe({(test::source_dir() / "recipes" / name).string(), {}});
  };
  for (const std::string pair : {"gpt2", "openllama"}) {
    CHECK(load(pair + "_kd_dolly.yaml").objective.type == "fkl");
    CHECK(load(pair + "_kd_dolly.yaml").rollout.source == "dataset");
    CHECK(load(pair + "_seqkd_dolly.yaml").rollout.source == "teacher_cache");
    CHECK(load(pair + "_imitkd_dolly.yaml").rollout.source == "student");
    const Recipe gkd = load(pair + "_gkd_dolly.yaml");
    CHECK((gkd.objective.type == "jsd" && gkd.rollout.source == "mixed" &&
           gkd.rollout.on_policy_prob == 0.5 && gkd.objective.beta == 0.5));
    const Recipe distillm = load(pair + "_distillm_dolly.yaml");
    CHECK((distillm.objective.type == "skl" && distillm.rollout.source == "adaptive" &&
           distillm.objective.skew == 0.1 && distillm.rollout.replay_capacity == 1000));
    const Recipe ammd = load(pair + "_ammd_dolly.yaml");
    CHECK((ammd.objective.type == "ammd" && ammd.objective.beta == 0.5 && ammd.critic.l2 == 0.5 &&
           ammd.off_policy.source == "teacher"));
  }
}
