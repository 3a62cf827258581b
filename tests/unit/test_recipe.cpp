#include "catch_torch.h"

#include <fstream>
#include <random>

#include "common/errors.h"
#include "config/recipe_loader.h"
#include "test_paths.h"

using namespace amkd;

namespace {

std::string write_recipe(const std::string& name, const std::string& text) {
  auto path = test::scratch("recipe_" + name) / "recipe.yaml";
  std::ofstream(path) << text;
  return path.string();
}

std::string error_of(const RecipeSource& source) {
  try {
    load_recipe(source);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("defaults, YAML and --set apply in that order", "[recipe]") {
  const auto path = write_recipe("precedence",
                                 "model:\n  path: /models/teacher\n  dtype: bf16\n"
                                 "optim:\n  lr: 1.0e-3\n  betas: [0.8, 0.95]\n");
  Recipe r = load_recipe({path, {"optim.lr=2e-4", "train.batch_size=4"}});
  CHECK(r.model.path == "/models/teacher");
  CHECK(r.model.dtype == "bf16");
  CHECK(r.model.device == "cpu");  // default
  CHECK(r.optim.lr == Approx(2e-4));
  CHECK(r.optim.betas == std::vector<double>{0.8, 0.95});
  CHECK(r.train.batch_size == 4);
  CHECK(r.optim.weight_decay == Approx(0.01));
}

TEST_CASE("a wrong type names file, line, key, expectation and value", "[recipe]") {
  const auto path = write_recipe("type", "train:\n  seed: 1\n  batch_size: eight\n");
  CHECK_THAT(error_of({path, {}}),
             Catch::Contains(path + ":3: train.batch_size: expected an integer, found 'eight'"));
}

TEST_CASE("an unknown key is an error with a did-you-mean", "[recipe]") {
  const auto path =
      write_recipe("unknown", "optim:\n  lr: 0.001\n  weight_decya: 0.1\nmodle:\n  path: x\n");
  const std::string e = error_of({path, {}});
  CHECK_THAT(e, Catch::Contains(
                    path + ":3: unknown key 'optim.weight_decya' (did you mean 'weight_decay'?)"));
  CHECK_THAT(e, Catch::Contains(path + ":4: unknown key 'modle' (did you mean 'model'?)"));
}

TEST_CASE("a negative learning rate breaks its rule", "[recipe]") {
  const auto path = write_recipe("negative", "optim:\n  lr: -0.001\n");
  CHECK_THAT(error_of({path, {}}),
             Catch::Contains(path + ":2: optim.lr: expected a number > 0, found -0.001"));
}

TEST_CASE("every problem of a recipe is reported together", "[recipe]") {
  const auto path = write_recipe("many",
                                 "model:\n  dtype: fp64\n  device: gpu\n"
                                 "optim:\n  lr: -1\n  betas: [0.9]\n"
                                 "schedule:\n  type: cosin\n"
                                 "train: 3\n");
  const std::string e = error_of({path, {"optim.eps=0"}});
  CHECK_THAT(e, Catch::StartsWith("7 problems in the recipe:"));
  CHECK_THAT(e, Catch::Contains(":2: model.dtype: expected one of fp32, bf16, fp16, found fp64"));
  CHECK_THAT(e, Catch::Contains(":3: model.device: expected cpu, cuda or cuda:N, found gpu"));
  CHECK_THAT(e, Catch::Contains(":5: optim.lr: expected a number > 0, found -1"));
  CHECK_THAT(e, Catch::Contains(":6: optim.betas: expected two numbers in [0, 1), found [0.9]"));
  CHECK_THAT(e, Catch::Contains(
                    ":8: schedule.type: expected one of constant, linear, cosine, found cosin"));
  CHECK_THAT(e, Catch::Contains(":9: train: expected a mapping of keys, found '3'"));
  CHECK_THAT(e, Catch::Contains("--set optim.eps: expected a number > 0, found 0"));
}

TEST_CASE("problems from --set name the flag", "[recipe]") {
  CHECK_THAT(error_of({"", {"optim.lrr=1"}}),
             Catch::Contains("--set optim.lrr: unknown key 'optim.lrr' (did you mean 'lr'?)"));
  CHECK_THAT(error_of({"", {"optim.lr"}}), Catch::Contains("expected key.path=value"));
  CHECK_THAT(error_of({"", {"optim.lr=[1"}}), Catch::Contains("value is not valid YAML"));
  CHECK_THAT(error_of({"", {"optim.lr.x=1"}}),
             Catch::Contains("--set optim.lr: expected a number, found a mapping"));
  CHECK_THAT(error_of({"", {"optim.lr=0.5", "optim.lr.x=1"}}),
             Catch::Contains("'lr' is not a section"));
}

TEST_CASE("syntax errors and unreadable files are input errors", "[recipe]") {
  const auto path = write_recipe("syntax", "optim:\n  lr: [1, 2\n");
  CHECK_THAT(error_of({path, {}}), Catch::Contains("not valid YAML"));
  CHECK_THAT(error_of({"/nonexistent/recipe.yaml", {}}),
             Catch::Contains("cannot read recipe file"));
  const auto list = write_recipe("list", "- a\n- b\n");
  CHECK_THAT(error_of({list, {}}), Catch::Contains("a recipe is a mapping of sections"));
}

TEST_CASE("the dumped recipe loads back to the same values", "[recipe]") {
  Recipe r = load_recipe(
      {"",
       {"model.path=\"/a path: with colon\"", "optim.lr=3e-5", "optim.betas=[0.5, 0.75]",
        "train.output_dir=runs/x", "schedule.min_lr_ratio=1"}});
  const std::string dumped = dump_recipe(r);
  const auto path = write_recipe("dump", dumped);
  Recipe back = load_recipe({path, {}});
  CHECK(dump_recipe(back) == dumped);
  CHECK(back.model.path == "/a path: with colon");
  CHECK(back.optim.lr == Approx(3e-5));
  CHECK(back.optim.betas == std::vector<double>{0.5, 0.75});
  CHECK(back.schedule.min_lr_ratio == 1.0);
}

TEST_CASE("every recipe key is documented with type and default", "[recipe]") {
  const auto docs = describe_recipe();
  REQUIRE(docs.size() > 10);
  for (const auto& d : docs) {
    CHECK(!d.doc.empty());
    CHECK(!d.type.empty());
  }
  CHECK(docs.front().key == "model.path");
}

TEST_CASE("README's recipe reference lists every key with its type and default", "[recipe][docs]") {
  std::ifstream in(test::source_dir() / "README.md");
  const std::string readme{std::istreambuf_iterator<char>(in), {}};
  std::string table = "| key | type | default | meaning |\n|---|---|---|---|\n";
  for (const auto& d : describe_recipe())
    table += "| `" + d.key + "` | " + d.type + " | `" + d.default_value + "` | " + d.doc + " |\n";
  const bool found = readme.find(table) != std::string::npos;
  if (!found) std::ofstream(test::work_dir() / "recipe_reference.md") << table;
  INFO("README.md must contain the table written to "
       << (test::work_dir() / "recipe_reference.md").string());
  CHECK(found);
}

TEST_CASE("recipe loading never crashes, whatever the bytes", "[recipe][fuzz]") {
  CHECK_THAT(error_of({write_recipe(
                           "deep", "model: " + std::string(100000, '[') + std::string(100000, ']')),
                       {}}),
             Catch::Contains("nested too deeply"));
  const std::string seed =
      "model:\n  path: /m\n  dtype: bf16\noptim:\n  lr: 0.001\n  betas: [0.9, 0.95]\ntrain: {seed: "
      "3}\n";
  const std::string alphabet = ":-[]{}#&*!|>'\"%@`,?\n \t0123456789abcdefxyz.e";
  std::mt19937 rng(99);
  int refused = 0;
  for (int i = 0; i < 1500; ++i) {
    std::string text = seed;
    for (int k = 0; k < 1 + static_cast<int>(rng() % 6); ++k) {
      const size_t at = rng() % (text.size() + 1);
      if (rng() % 2)
        text.insert(at, 1,
                    i % 5 == 0 ? static_cast<char>(rng()) : alphabet[rng() % alphabet.size()]);
      else if (at < text.size())
        text.erase(at, 1);
    }
    try {
      load_recipe({write_recipe("fuzz", text), {}});
    } catch (const InputError&) {
      ++refused;
    }
  }
  CHECK(refused > 100);
}

TEST_CASE("strings survive the trip through YAML", "[recipe]") {
  for (const std::string s : {"",
                              "yes",
                              "No",
                              "null",
                              "~",
                              "1e3",
                              ".inf",
                              "a: b",
                              "x:",
                              "-x",
                              "#c",
                              "tab\there",
                              "quote\"s",
                              "back\\slash",
                              "ünïcode ✓",
                              "cuda:0",
                              "/path/to/model",
                              " lead",
                              "{}",
                              "line\nbreak",
                              "[1]"}) {
    INFO(s << " -> " << yaml_scalar(s));
    Recipe r = load_recipe({"", {"model.path=" + yaml_scalar(s)}});
    CHECK(r.model.path == s);
  }
  CHECK(yaml_scalar("/path/to/model") == "/path/to/model");
  CHECK(yaml_scalar("yes") == "\"yes\"");
}
