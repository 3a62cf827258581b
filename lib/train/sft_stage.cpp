#include "train/sft_stage.h"

#include <filesystem>

#include <fmt/format.h>

#include "config/recipe_loader.h"
#include "train/run_output.h"
#include "train/sft_trainer.h"

namespace amkd {
namespace {

namespace fs = std::filesystem;

uint64_t fnv1a(const std::string& text) {
  uint64_t h = 14695981039346656037ULL;
  for (const unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
  return h;
}

}  // namespace

Recipe sft_stage_recipe(const Recipe& recipe) {
  const SftStageSection& stage = recipe.sft_stage;
  Recipe r;  // defaults everywhere but what decides the stage's result
  r.model = recipe.student;
  r.data = recipe.data;
  r.optim = recipe.optim;
  if (stage.lr > 0) r.optim.lr = stage.lr;
  r.schedule = recipe.schedule;
  r.train.seed = recipe.train.seed;
  r.train.batch_size = stage.batch_size > 0 ? stage.batch_size : recipe.train.batch_size;
  r.train.grad_accum = recipe.train.grad_accum;
  r.train.precision = recipe.train.precision;
  r.train.max_steps = stage.max_steps;
  r.train.log_every = std::max<int64_t>(1, stage.max_steps / 10);
  r.train.output_dir.clear();
  r.eval.every = 0;
  r.eval.keep_best = "none";
  return r;
}

std::string sft_stage_dir(const Recipe& recipe) {
  const fs::path base = recipe.sft_stage.dir.empty()
                            ? fs::path(recipe.train.output_dir).lexically_normal().parent_path()
                            : fs::path(recipe.sft_stage.dir);
  const std::string name = fmt::format("sft-{:016x}", fnv1a(dump_recipe(sft_stage_recipe(recipe))));
  return (base.empty() ? fs::path(name) : base / name).string();
}

Recipe with_sft_stage(const Recipe& recipe, std::ostream& console) {
  if (recipe.sft_stage.max_steps <= 0) return recipe;
  RunOutput(recipe.train.output_dir, "");  // refuses an earlier run now, not after the stage
  const std::string dir = sft_stage_dir(recipe);
  const fs::path final_dir = fs::path(dir) / "final";
  Recipe out = recipe;
  out.student.path = final_dir.string();
  if (fs::exists(final_dir / "config.json")) {
    console << fmt::format("sft stage: reusing {} (same student, data and settings)\n",
                           final_dir.string());
    return out;
  }
  if (fs::exists(dir)) {
    // Our own output, left incomplete by an interrupted stage (no final model): start it again.
    console << fmt::format("sft stage: {} is incomplete (no final/); running the stage again\n",
                           dir);
    fs::remove_all(dir);
  }
  Recipe stage = sft_stage_recipe(recipe);
  stage.train.output_dir = dir;
  console << fmt::format("sft stage: {} steps of supervised fine-tuning of {} into {}\n",
                         stage.train.max_steps, recipe.student.path, dir);
  run_sft(stage, console);
  return out;
}

}  // namespace amkd
