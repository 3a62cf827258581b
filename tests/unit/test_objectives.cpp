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

namespace {

AmmdParams params_of(const Reference& ref, const std::string& p) {
  AmmdParams params;
  params.beta = ref.scalar(p + "param_beta");
  params.l2 = ref.scalar(p + "param_l2");
  params.scale = ref.scalar(p + "param_scale");
  params.exact_teacher_expectation = ref.scalar(p + "param_exact") > 0;
  const double baseline = ref.scalar(p + "param_baseline");
  params.baseline = baseline == 0   ? AmmdBaseline::kLeaveOneOut
                    : baseline == 1 ? AmmdBaseline::kBatchMean
                                    : AmmdBaseline::kNone;
  params.penalty =
      ref.scalar(p + "param_mixture") > 0 ? AmmdPenalty::kMixture : AmmdPenalty::kUniform;
  params.closed_form_critic = ref.scalar(p + "param_closed") > 0;
  params.discount = ref.scalar(p + "param_discount");
  return params;
}

constexpr int kAmmdConfigs = 4;
constexpr int64_t kMaxSteps = 16;

// The advantages as the trainer computes them: gaps, reward-to-go, step totals of the global
// batch (here the given sides together), then each side's advantages.
std::vector<torch::Tensor> advantages_of(const std::vector<AmmdSide>& sides,
                                         const AmmdParams& params, int64_t chunk) {
  std::vector<torch::Tensor> to_go, out;
  torch::Tensor totals = torch::zeros({2, kMaxSteps}, torch::kFloat64);
  for (const AmmdSide& s : sides) {
    to_go.push_back(
        reward_to_go(ammd_on_policy_gaps(s, params, chunk), s.positions, params.discount));
    totals += step_totals(to_go.back(), s.positions, kMaxSteps);
  }
  for (size_t i = 0; i < sides.size(); ++i)
    out.push_back(
        policy_gradient_advantages(to_go[i], sides[i].positions, totals, params.baseline));
  return out;
}

}  // namespace

TEST_CASE("AMMD distances, critic objective, student terms and gradients match the reference",
          "[objectives]") {
  const Reference ref;
  for (int c = 0; c < kAmmdConfigs; ++c) {
    const std::string p = "ammd" + std::to_string(c) + "_";
    const AmmdParams params = params_of(ref, p);
    const Side on(ref, "on"), off(ref, "off");
    for (const int64_t chunk : {2, 1000}) {
      for (auto* t : {&on.student, &on.critic, &off.student, &off.critic})
        if (t->grad().defined()) t->mutable_grad().zero_();
      if (!params.closed_form_critic) {
        const AmmdCriticResult critic = ammd_critic_backward(on.ammd(), off.ammd(), params, chunk);
        require_close(critic.d_on, ref.scalar(p + "d_on"), p + "d_on");
        require_close(critic.d_off, ref.scalar(p + "d_off"), p + "d_off");
        require_close(critic.objective, ref.scalar(p + "critic_objective"), p + "critic objective");
        // The critic descends on the negated objective.
        require_close(-on.critic.grad(), ref[p + "critic_grad_on"], p + "critic gradient (on)");
        require_close(-off.critic.grad(), ref[p + "critic_grad_off"], p + "critic gradient (off)");
        CHECK((!on.student.grad().defined() || on.student.grad().abs().max().item<double>() == 0));
      }

      const torch::Tensor advantages = advantages_of({on.ammd()}, params, chunk)[0];
      const AmmdStudentResult student =
          ammd_student_backward(on.ammd(), off.ammd(), params, chunk, advantages);
      require_close(student.off, ref.scalar(p + "l_off"), p + "L_off");
      require_close(student.on_direct, ref.scalar(p + "l_on_direct"), p + "L_on_direct");
      require_close(student.on_pg, ref.scalar(p + "l_on_pg"), p + "L_on_pg");
      require_close(student.loss, ref.scalar(p + "loss"), p + "student loss");
      require_close(student.d_on, ref.scalar(p + "d_on"), p + "d_on (student pass)");
      require_close(student.d_off, ref.scalar(p + "d_off"), p + "d_off (student pass)");
      require_close(on.student.grad(), ref[p + "student_grad_on"], p + "student gradient (on)");
      require_close(off.student.grad(), ref[p + "student_grad_off"], p + "student gradient (off)");
      if (!params.closed_form_critic)
        require_close(on.critic.grad().neg(), ref[p + "critic_grad_on"],
                      "critic untouched by student");
    }
  }
}

TEST_CASE("AMMD student terms split into micro-batches equal the reference (global counts)",
          "[objectives]") {
  const Reference ref;
  for (int c = 0; c < kAmmdConfigs; ++c) {
    const std::string p = "ammd" + std::to_string(c) + "_";
    const AmmdParams params = params_of(ref, p);
    const Side on(ref, "on"), off(ref, "off");
    // Rows {0, 1} and {2, 3} of the on-policy batch, {0} and {1, 2} of the off-policy one, as two
    // micro-batches: the sequence counts and the baseline's step totals are the whole batch's.
    auto part = [](const Side& s, int64_t b, int64_t e, double sequences) {
      AmmdSide a;
      const torch::Tensor mask = s.mask.slice(0, b, e);
      a.positions = response_positions(mask, s.tokens.slice(0, b, e));
      a.teacher = producer(s.teacher.slice(0, b, e), mask);
      a.student = producer(s.student.slice(0, b, e), mask);
      a.critic = producer(s.critic.slice(0, b, e), mask);
      a.global_sequences = sequences;
      return a;
    };
    const double n_on = on.ammd().positions.sequences, n_off = off.ammd().positions.sequences;
    const std::vector<AmmdSide> ons{part(on, 0, 2, n_on), part(on, 2, 4, n_on)};
    const std::vector<AmmdSide> offs{part(off, 0, 1, n_off), part(off, 1, 3, n_off)};
    const std::vector<torch::Tensor> advantages = advantages_of(ons, params, 3);
    AmmdStudentResult total;
    for (size_t m = 0; m < 2; ++m) {
      const AmmdStudentResult r = ammd_student_backward(ons[m], offs[m], params, 3, advantages[m]);
      total.loss += r.loss;
      total.on_pg += r.on_pg;
      total.d_on += r.d_on;
    }
    require_close(total.on_pg, ref.scalar(p + "l_on_pg"), p + "L_on_pg over micro-batches");
    require_close(total.loss, ref.scalar(p + "loss"), p + "loss over micro-batches");
    require_close(total.d_on, ref.scalar(p + "d_on"), p + "d_on over micro-batches");
    require_close(on.student.grad(), ref[p + "student_grad_on"],
                  p + "gradient (on), micro-batches");
    require_close(off.student.grad(), ref[p + "student_grad_off"],
                  p + "gradient (off), micro-batches");
  }
}

TEST_CASE("the leave-one-out baseline excludes the sequence itself and is 0 when it is alone",
          "[objectives]") {
  // Two sequences of lengths 3 and 1; C = [5, 7, 0] for the first and [2] for the second.
  ResponsePositions pos;
  pos.row = torch::tensor({0, 0, 0, 1}, torch::kInt64);
  pos.step = torch::tensor({0, 1, 2, 0}, torch::kInt64);
  const torch::Tensor to_go = torch::tensor({5.0, 7.0, 0.0, 2.0}, torch::kFloat64);
  const torch::Tensor totals = step_totals(to_go, pos, 4);
  const auto loo = policy_gradient_advantages(to_go, pos, totals, AmmdBaseline::kLeaveOneOut);
  const auto mean = policy_gradient_advantages(to_go, pos, totals, AmmdBaseline::kBatchMean);
  CHECK(loo[0].item<float>() == 3.0f);   // 5 - 2
  CHECK(loo[1].item<float>() == 7.0f);   // no other sequence at step 1
  CHECK(loo[3].item<float>() == -3.0f);  // 2 - 5
  CHECK(mean[0].item<float>() == 1.5f);  // 5 - 3.5
  CHECK(mean[1].item<float>() == 0.0f);  // alone: its own mean
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
