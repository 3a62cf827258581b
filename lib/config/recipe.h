#pragma once
// The recipe: one typed struct per YAML section. Each struct lists its keys once, in visit(),
// and that list drives loading (with validation), --dump-config and the README reference.
// Sections arrive with their features; later commands add theirs here.
#include <cstdint>
#include <string>
#include <vector>

#include "config/field_rules.h"

namespace amkd {

struct ModelSection {
  std::string path;
  std::string dtype = "fp32";
  std::string device = "cpu";

  template <class V>
  void visit(V& v) {
    v.field("path", path, "Hugging Face checkpoint directory (config.json + safetensors)");
    v.field("dtype", dtype, "compute dtype: fp32, bf16 or fp16", one_of({"fp32", "bf16", "fp16"}));
    v.field("device", device, "cpu, cuda or cuda:N", device_name());
  }
};

struct DataSection {
  std::string train;
  std::string valid;
  int64_t valid_size = 500;
  std::string prompt_template = "dolly";
  std::string format = "auto";
  std::string on_bad_line = "error";
  int64_t max_prompt_length = 256;
  int64_t max_length = 512;
  std::string on_long = "truncate";
  bool length_grouping = false;
  std::string teacher_cache;

  template <class V>
  void visit(V& v) {
    v.field("train", train, "training JSONL (sft, train)");
    v.field("valid", valid,
            "validation JSONL; empty: data.valid_size examples are held out from data.train");
    v.field("valid_size", valid_size,
            "examples held out from data.train for validation when data.valid is empty (at most "
            "a tenth of it); 0: no validation",
            non_negative());
    v.field("template", prompt_template,
            "prompt template: dolly, chatml, llama2, llama3, plain, chat (the tokenizer's own "
            "chat_template; messages data trains on every assistant turn), or a custom string "
            "with {instruction} and {input}",
            prompt_template_rule());
    v.field("format", format,
            "JSONL format: auto (from each line's keys), dolly, alpaca, minillm, prompt_response, "
            "messages, question_answer",
            one_of({"auto", "dolly", "alpaca", "minillm", "prompt_response", "messages",
                    "question_answer"}));
    v.field("on_bad_line", on_bad_line,
            "a malformed line: error (stop, naming file and line) or skip (count it)",
            one_of({"error", "skip"}));
    v.field("max_prompt_length", max_prompt_length,
            "prompt tokens kept (longer prompts keep their beginning, and are counted)",
            positive());
    v.field("max_length", max_length,
            "prompt + response tokens kept (longer responses are cut, and counted)", positive());
    v.field("on_long", on_long,
            "an example over max_prompt_length or max_length: truncate (as above) or skip (drop "
            "it, counted)",
            one_of({"truncate", "skip"}));
    v.field("teacher_cache", teacher_cache,
            "teacher outputs made once with amkd generate (JSONL with id and response), for "
            "the teacher_cache sources");
    v.field("length_grouping", length_grouping,
            "batch examples of similar length together (less padding; batch order still shuffled)");
  }
};

struct GenerationSection {
  int64_t max_new_tokens = 256;
  bool greedy = false;
  double temperature = 1.0;
  int64_t top_k = 0;
  double top_p = 1.0;
  int64_t batch_size = 8;
  int64_t seed = 10;

  template <class V>
  void visit(V& v) {
    v.field("max_new_tokens", max_new_tokens, "tokens generated at most per prompt", positive());
    v.field("greedy", greedy, "take the most likely token instead of sampling");
    v.field("temperature", temperature, "sampling temperature", positive());
    v.field("top_k", top_k, "keep the k most likely tokens; 0 keeps all", non_negative());
    v.field("top_p", top_p, "nucleus sampling: keep the smallest set with this much probability",
            probability());
    v.field("batch_size", batch_size, "prompts generated together", positive());
    v.field("seed", seed, "prompt i samples with seed + i, so a run is reproducible",
            non_negative());
  }
};

struct OptimSection {
  double lr = 5e-4;
  std::vector<double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0.01;
  double grad_clip = 1.0;

  template <class V>
  void visit(V& v) {
    v.field("lr", lr, "peak learning rate (AdamW)", positive());
    v.field("betas", betas, "AdamW beta1 and beta2, each in [0, 1)", pair_in_unit_interval());
    v.field("eps", eps, "AdamW epsilon", positive());
    v.field("weight_decay", weight_decay,
            "decoupled weight decay (not applied to norms and biases)", non_negative());
    v.field("grad_clip", grad_clip, "max global gradient norm; 0 disables clipping",
            non_negative());
  }
};

struct ScheduleSection {
  std::string type = "cosine";
  int64_t warmup_steps = 0;
  double min_lr_ratio = 0.0;

  template <class V>
  void visit(V& v) {
    v.field("type", type, "learning-rate schedule: constant, linear or cosine",
            one_of({"constant", "linear", "cosine"}));
    v.field("warmup_steps", warmup_steps, "linear warm-up steps from 0 to optim.lr",
            non_negative());
    v.field("min_lr_ratio", min_lr_ratio, "final learning rate as a fraction of optim.lr",
            unit_interval());
  }
};

struct TrainSection {
  int64_t seed = 42;
  int64_t batch_size = 8;
  int64_t grad_accum = 1;
  int64_t epochs = 1;
  int64_t max_steps = 0;
  std::string precision = "auto";
  int64_t log_every = 10;
  int64_t eval_every = 0;
  int64_t save_every = 0;
  std::string output_dir = "runs/amkd";

  template <class V>
  void visit(V& v) {
    v.field("seed", seed, "seed of every random generator the run owns", non_negative());
    v.field("batch_size", batch_size, "sequences per micro-batch", positive());
    v.field("grad_accum", grad_accum, "micro-batches per optimizer step", positive());
    v.field("epochs", epochs, "passes over the training data (when train.max_steps is 0)",
            positive());
    v.field("max_steps", max_steps, "optimizer steps; 0: train.epochs worth", non_negative());
    v.field("precision", precision,
            "auto (bf16 autocast on CUDA, fp32 on CPU), fp32, or bf16 (autocast; fp32 master "
            "weights)",
            one_of({"auto", "fp32", "bf16"}));
    v.field("log_every", log_every, "steps between console progress lines", positive());
    v.field("eval_every", eval_every, "steps between validation losses; 0: at the end only",
            non_negative());
    v.field("save_every", save_every,
            "steps between checkpoints (output_dir/checkpoint-STEP); 0: at the end only",
            non_negative());
    v.field("output_dir", output_dir, "where checkpoints and metrics are written");
  }
};

struct ObjectiveSection {
  std::string type = "ammd";
  double beta = 0.5;
  double skew = 0.1;
  double sft_weight = 0.0;
  std::string teacher_expectation = "exact";
  int64_t chunk_positions = 1024;

  template <class V>
  void visit(V& v) {
    v.field("type", type, "what amkd train minimises: ammd, sft, fkl, rkl, jsd, skl, srkl or tvd",
            one_of({"ammd", "sft", "fkl", "rkl", "jsd", "skl", "srkl", "tvd"}));
    v.field("beta", beta,
            "ammd: weight of the off-policy distance (1 - beta on-policy); jsd: the teacher's "
            "weight in the mixture (0 = fkl, 1 = rkl)",
            unit_interval());
    v.field("skew", skew, "skl/srkl: weight of the other distribution in the skewed mixture",
            unit_interval());
    v.field("sft_weight", sft_weight,
            "weight of an added cross-entropy on dataset responses (0: none)", non_negative());
    v.field("teacher_expectation", teacher_expectation,
            "ammd off-policy moment: exact (sum over the vocabulary with the teacher's "
            "probabilities) or sampled (the taken token)",
            one_of({"exact", "sampled"}));
    v.field("chunk_positions", chunk_positions,
            "positions per vocabulary-wide chunk (peak memory grows with it)", positive());
  }
};

struct RolloutSection {
  std::string source = "dataset";
  double on_policy_prob = 0.5;
  double adaptive_init_prob = 0.0;
  double adaptive_loss_eps = 0.1;
  int64_t replay_capacity = 1000;

  template <class V>
  void visit(V& v) {
    v.field("source", source,
            "responses the baselines train on: dataset (KD), teacher (generated now; SeqKD), "
            "teacher_cache (data.teacher_cache), student (on-policy; ImitKD), mixed (student with "
            "probability on_policy_prob, else dataset; GKD), adaptive (DistiLLM's schedule with a "
            "replay buffer)",
            one_of({"dataset", "teacher", "teacher_cache", "student", "mixed", "adaptive"}));
    v.field("on_policy_prob", on_policy_prob, "mixed: probability of a student-sampled batch",
            unit_interval());
    v.field("adaptive_init_prob", adaptive_init_prob,
            "adaptive: starting probability of student outputs (raised by 0.1 when the "
            "validation loss rises by adaptive_loss_eps)",
            unit_interval());
    v.field("adaptive_loss_eps", adaptive_loss_eps,
            "adaptive: validation-loss rise that raises the probability", non_negative());
    v.field("replay_capacity", replay_capacity,
            "adaptive: student outputs kept for replay, over all ranks (each rank keeps its own "
            "share)",
            positive());
  }
};

struct OffPolicySection {
  std::string source = "teacher";

  template <class V>
  void visit(V& v) {
    v.field("source", source,
            "ammd off-policy batch: teacher (generated now), teacher_cache (data.teacher_cache) "
            "or dataset (its responses)",
            one_of({"teacher", "teacher_cache", "dataset"}));
  }
};

struct CriticSection {
  std::string form = "closed_form";
  std::string penalty = "uniform";
  int64_t warmup_steps = 0;
  int64_t steps = 1;
  double l2 = 0.5;
  double lr = 0.0;
  double scale = 1.0;
  std::string backbone = "student_copy";
  int64_t layers = 2;
  bool shared = false;

  template <class V>
  void visit(V& v) {
    v.field("form", form,
            "network (a learned critic: backbone and vocabulary head) or closed_form (the inner "
            "maximum computed per state from the teacher's and student's distributions; no "
            "network)",
            one_of({"network", "closed_form"}));
    v.field("penalty", penalty,
            "uniform (l2 * sum_a f^2: a squared-L2 distance) or mixture (l2 * sum_a (p+q)/2 f^2: "
            "scale-free, so student mass on tokens the teacher rules out costs its full value)",
            one_of({"uniform", "mixture"}));
    v.field("warmup_steps", warmup_steps,
            "critic-only ascent steps on the first batches before the student trains",
            non_negative());
    v.field("steps", steps, "critic ascent steps per student step", positive());
    v.field("l2", l2, "critic penalty weight (keeps the game from oscillating; see AMMD.md)",
            non_negative());
    v.field("lr", lr, "critic AdamW learning rate; 0: optim.lr", non_negative());
    v.field("scale", scale, "f = scale * tanh(critic head)", positive());
    v.field("backbone", backbone,
            "student_copy (the student's decoder) or small (its first critic.layers layers)",
            one_of({"student_copy", "small"}));
    v.field("layers", layers, "backbone small: decoder layers kept", positive());
    v.field("shared", shared, "one backbone with two heads for the on- and off-policy critics");
  }
};

struct PolicyGradientSection {
  bool enabled = false;
  std::string baseline = "leave_one_out";
  double discount = 1.0;

  template <class V>
  void visit(V& v) {
    v.field("enabled", enabled,
            "ammd: the REINFORCE term on future on-policy gaps (off by default: at the batch sizes "
            "measured it destabilised every run; docs/RESULTS.md)");
    v.field("baseline", baseline,
            "leave_one_out (mean reward-to-go of the other sequences of the global batch at each "
            "position), batch_mean (including the sequence itself) or none",
            one_of({"leave_one_out", "batch_mean", "none"}));
    v.field("discount", discount,
            "gamma of the reward-to-go C_t = sum_{t'>t} gamma^(t'-t-1) c_t' (1: AMMD.md's "
            "undiscounted sum; smaller values trade bias for variance)",
            unit_interval());
  }
};

struct EvalSection {
  std::string sets = "dolly";
  std::string seeds = "10,20,30,40,50";
  int64_t max_new_tokens = 0;
  int64_t every = 0;
  int64_t subset = 0;
  std::string keep_best = "rougeL";

  template <class V>
  void visit(V& v) {
    v.field("sets", sets,
            "comma-separated evaluation sets: bundled names (dolly, selfinst, vicuna, sni, unni, "
            "gsm8k) or JSONL paths",
            non_empty_list());
    v.field("seeds", seeds, "comma-separated sampling seeds; scores are mean and std over them",
            seed_list());
    v.field("max_new_tokens", max_new_tokens,
            "tokens generated at most; 0: up to data.max_length with the prompt", non_negative());
    v.field("every", every,
            "training: steps between held-out evaluations (first eval.seeds seed, eval.subset "
            "items per set; scores in metrics.jsonl); 0: none",
            non_negative());
    v.field("subset", subset, "items per set evaluated (the first ones); 0: all", non_negative());
    v.field("keep_best", keep_best,
            "training: keep OUTPUT/best for the best mean of this metric over eval.sets (rougeL, "
            "exact_match, bleu, gsm8k_accuracy), or none",
            one_of({"rougeL", "exact_match", "bleu", "gsm8k_accuracy", "none"}));
  }
};

// The paper's pipeline: the student is first fine-tuned on the training responses (amkd sft),
// then distilled. With max_steps > 0, amkd train runs this stage first, or reuses its output.
struct SftStageSection {
  int64_t max_steps = 0;
  double lr = 0.0;
  int64_t batch_size = 0;
  std::string dir;

  template <class V>
  void visit(V& v) {
    v.field("max_steps", max_steps,
            "SFT steps on data.train before distilling (the student then starts from their "
            "result); 0: no SFT stage",
            non_negative());
    v.field("lr", lr, "the stage's peak learning rate (same schedule type); 0: optim.lr",
            non_negative());
    v.field("batch_size", batch_size, "the stage's sequences per step; 0: train.batch_size",
            non_negative());
    v.field("dir", dir,
            "where stage outputs are kept, one sft-HASH/ per stage recipe (reused while the "
            "recipe is unchanged); empty: beside train.output_dir");
  }
};

// Multi-process runs (torchrun, srun or amkd launch set where each process sits; README,
// "Several processes"). One process ignores this section.
struct DistSection {
  int64_t world_size = 0;
  int64_t rank = 0;
  int64_t local_rank = 0;
  std::string master_addr;
  int64_t master_port = 0;
  double bucket_mb = 25.0;
  double timeout_s = 300.0;
  int64_t check_every = 100;

  template <class V>
  void visit(V& v) {
    v.field("world_size", world_size,
            "ranks of the run; 0: from torchrun's or SLURM's variables (one process without "
            "them). When set, rank and local_rank below are this process's",
            non_negative());
    v.field("rank", rank, "this process's rank (with world_size)", non_negative());
    v.field("local_rank", local_rank, "this process's rank on its machine (with world_size)",
            non_negative());
    v.field("master_addr", master_addr,
            "rendezvous host; empty: MASTER_ADDR, else the first SLURM node, else 127.0.0.1");
    v.field("master_port", master_port,
            "rendezvous port; 0: MASTER_PORT, else derived from SLURM_JOB_ID, else 29500",
            non_negative());
    v.field("bucket_mb", bucket_mb,
            "gradients are summed over ranks in flat buffers of at most this many megabytes",
            positive());
    v.field("timeout_s", timeout_s,
            "seconds a collective waits for the other ranks before the run stops with an error",
            positive());
    v.field("check_every", check_every,
            "steps between checks that every rank holds the same parameters (a run whose ranks "
            "diverged stops); 0: never",
            non_negative());
  }
};

struct Recipe {
  ModelSection model;    // the model a single-model command works on (score, inspect, sft)
  ModelSection teacher;  // distillation: the frozen teacher
  ModelSection student;  // distillation: the model being trained
  DataSection data;
  GenerationSection generation;
  OptimSection optim;
  ScheduleSection schedule;
  TrainSection train;
  ObjectiveSection objective;
  RolloutSection rollout;
  OffPolicySection off_policy;
  CriticSection critic;
  PolicyGradientSection policy_gradient;
  SftStageSection sft_stage;
  EvalSection eval;
  DistSection dist;

  template <class V>
  void visit(V& v) {
    v.section("model", model, "the model of single-model commands");
    v.section("teacher", teacher, "the frozen teacher of a distillation run");
    v.section("student", student, "the student of a distillation run");
    v.section("data", data, "instruction data and its prompt template");
    v.section("generation", generation, "sampling for generate, evaluation and rollouts");
    v.section("optim", optim, "optimizer (AdamW)");
    v.section("schedule", schedule, "learning-rate schedule");
    v.section("train", train, "training loop");
    v.section("objective", objective, "what amkd train minimises");
    v.section("rollout", rollout, "where the baselines' responses come from");
    v.section("off_policy", off_policy, "ammd: the off-policy batch");
    v.section("critic", critic, "ammd: the bounded critics");
    v.section("policy_gradient", policy_gradient, "ammd: the on-policy score-function term");
    v.section("sft_stage", sft_stage, "train: supervised fine-tuning of the student first");
    v.section("eval", eval, "held-out evaluation (amkd eval, and during training)");
    v.section("dist", dist, "several processes: gradient reduction and checks");
  }
};

}  // namespace amkd
