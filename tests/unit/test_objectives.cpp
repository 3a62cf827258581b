#include "catch_torch.h"

#include "model/safetensors.h"
#include "objectives/ammd.h"
#include "objectives/divergences.h"
#include "test_paths.h"

using namespace amkd;

namespace {

struct Reference {
  SafetensorsFile file{(test::work_dir() / "objective_reference.safetensors").string()};
  torch::Tensor operator[](const std::string& name) const {
    const auto* e = file.find(name);
    if (!e) throw std::runtime_error("reference lacks " + name);
    return file.load(*e);
  }
  double scalar(const std::string& name) const { return (*this)[name].item<double>(); }
};

void require_close(const torch::Tensor& got, const torch::Tensor& want, const std::string& what) {
  REQUIRE(got.sizes() == want.sizes());
  const double diff =
      (got.to(torch::kFloat64) - want.to(torch::kFloat64)).abs().max().item<double>();
  INFO(what << ": max |difference| " << diff);
  CHECK(diff < 1e-5);
}

void require_close(double got, double want, const std::string& what) {
  INFO(what << ": " << got << " vs reference " << want);
  CHECK(std::abs(got - want) < 1e-5);
}

// [B, T, V] dense tensor -> producer of rows [begin, end) of its masked positions.
LogitsFn producer(const torch::Tensor& dense, const torch::Tensor& mask) {
  return [dense, mask](int64_t b, int64_t e) { return dense.index({mask}).slice(0, b, e); };
}

struct Side {
  torch::Tensor teacher, student, critic, tokens, mask;
  Side(const Reference& ref, const std::string& name)
      : teacher(ref[name + "_teacher"]),
        student(ref[name + "_student"].requires_grad_(true)),
        critic(ref[name + "_critic"].requires_grad_(true)),
        tokens(ref[name + "_tokens"]),
        mask(ref[name + "_mask"].to(torch::kBool)) {}
  AmmdSide ammd() const {
    AmmdSide s;
    s.positions = response_positions(mask, tokens);
    s.teacher = producer(teacher, mask);
    s.student = producer(student, mask);
    s.critic = producer(critic, mask);
    s.global_sequences = static_cast<double>(s.positions.sequences);
    return s;
  }
};

}  // namespace

TEST_CASE("divergences and their gradients match the PyTorch reference", "[objectives]") {
  const Reference ref;
  const auto mask = ref["on_mask"].to(torch::kBool);
  for (const std::string kind : {"fkl", "rkl", "jsd", "skl", "srkl", "tvd"}) {
    const torch::Tensor teacher = ref["div_teacher"];
    const torch::Tensor student = ref["div_student"].requires_grad_(true);
    const int64_t n = mask.sum().item<int64_t>();
    const DivergenceParams params{0.3, 0.1};
    // Chunks of 3 positions: the chunked path the trainer uses.
    const double total = sum_over_chunks(n, 3, true, [&](int64_t b, int64_t e) {
      return divergence(*divergence_named(kind), producer(teacher, mask)(b, e),
                        producer(student, mask)(b, e), params)
                 .sum() /
             static_cast<double>(n);
    });
    require_close(total, ref.scalar("div_" + kind + "_loss"), kind + " loss");
    require_close(student.grad(), ref["div_" + kind + "_grad"], kind + " gradient");
  }
}

TEST_CASE("AMMD distances, critic objective, student terms and gradients match the reference",
          "[objectives]") {
  const Reference ref;
  for (int c = 0; c < 2; ++c) {
    const std::string p = "ammd" + std::to_string(c) + "_";
    AmmdParams params;
    params.beta = ref.scalar(p + "param_beta");
    params.l2 = ref.scalar(p + "param_l2");
    params.scale = ref.scalar(p + "param_scale");
    params.exact_teacher_expectation = ref.scalar(p + "param_exact") > 0;
    params.batch_mean_baseline = ref.scalar(p + "param_baseline") > 0;
    const Side on(ref, "on"), off(ref, "off");
    for (const int64_t chunk : {2, 1000}) {
      for (auto* t : {&on.student, &on.critic, &off.student, &off.critic})
        if (t->grad().defined()) t->mutable_grad().zero_();
      const AmmdCriticResult critic = ammd_critic_backward(on.ammd(), off.ammd(), params, chunk);
      require_close(critic.d_on, ref.scalar(p + "d_on"), p + "d_on");
      require_close(critic.d_off, ref.scalar(p + "d_off"), p + "d_off");
      require_close(critic.objective, ref.scalar(p + "critic_objective"), p + "critic objective");
      // The critic descends on the negated objective.
      require_close(-on.critic.grad(), ref[p + "critic_grad_on"], p + "critic gradient (on)");
      require_close(-off.critic.grad(), ref[p + "critic_grad_off"], p + "critic gradient (off)");
      CHECK((!on.student.grad().defined() || on.student.grad().abs().max().item<double>() == 0));

      const AmmdStudentResult student = ammd_student_backward(on.ammd(), off.ammd(), params, chunk);
      require_close(student.off, ref.scalar(p + "l_off"), p + "L_off");
      require_close(student.on_direct, ref.scalar(p + "l_on_direct"), p + "L_on_direct");
      require_close(student.on_pg, ref.scalar(p + "l_on_pg"), p + "L_on_pg");
      require_close(student.loss, ref.scalar(p + "loss"), p + "student loss");
      require_close(student.d_on, ref.scalar(p + "d_on"), p + "d_on (student pass)");
      require_close(student.d_off, ref.scalar(p + "d_off"), p + "d_off (student pass)");
      require_close(on.student.grad(), ref[p + "student_grad_on"], p + "student gradient (on)");
      require_close(off.student.grad(), ref[p + "student_grad_off"], p + "student gradient (off)");
      require_close(on.critic.grad().neg(), ref[p + "critic_grad_on"],
                    "critic untouched by student");
    }
  }
}

TEST_CASE("with the critic fixed to sign(p - q) the moment gap is 2 TV", "[objectives]") {
  torch::manual_seed(3);
  const auto teacher = torch::randn({5, 17}) * 3, student = torch::randn({5, 17}) * 3;
  const auto sign = torch::sign(torch::softmax(teacher, -1) - torch::softmax(student, -1));
  AmmdSide side;
  side.positions =
      response_positions(torch::ones({5, 1}, torch::kBool), torch::zeros({5, 1}, torch::kLong));
  side.teacher = [&](int64_t b, int64_t e) { return teacher.slice(0, b, e); };
  side.student = [&](int64_t b, int64_t e) { return student.slice(0, b, e); };
  side.critic = [&](int64_t b, int64_t e) { return sign.slice(0, b, e) * 1e4; };  // tanh = +-1
  side.global_sequences = 5;
  AmmdParams params;
  params.beta = 0;
  params.l2 = 0;
  const AmmdCriticResult r = ammd_critic_backward(side, side, params, 2);
  const double tv = total_variation(teacher, student).mean().item<double>();
  CHECK(std::abs(r.d_on - 2 * tv) < 1e-6);
  CHECK(r.d_on > 0.5);
}
