#!/usr/bin/env python3
"""Build tiny random Hugging Face causal LMs and their reference next-token log-probs.

Usage: python scripts/make_reference_models.py OUTDIR

For every model below this writes OUTDIR/<name>/ with the checkpoint (save_pretrained, safetensors),
input.jsonl ({"ids": [...]} per line) and reference.jsonl ({"ids": [...], "logprobs": [...]} per line),
where logprobs[i] = log_softmax(logits[i])[ids[i+1]] for i in 0..len-2, computed by transformers in
fp32, eager attention, one unpadded sequence at a time. The C++ tool's `amkd score` output is compared
against reference.jsonl with scripts/compare_logprobs.py.

The models cover the checkpoint/architecture variants the C++ loader must handle: GQA, llama3 / linear /
dynamic RoPE scaling, old-style ("rope_scaling" + top-level "rope_theta") and new-style
("rope_parameters") config.json, tied and untied embeddings, sharded checkpoints, fp16/bf16 storage,
attention/MLP biases, Qwen2 q/k/v biases, Mistral, GPT-2.
"""
import json
import math
import os
import sys
import time

import torch

from hf_reference import sequence_logprobs
from transformers import (
    AutoConfig,
    AutoModelForCausalLM,
    GPT2Config,
    LlamaConfig,
    MistralConfig,
    Qwen2Config,
)

# Default sequence lengths: a length-1 sequence (no next-token log-probs at all) plus a few others.
LENGTHS = [1, 7, 19, 33]


def model_specs():
    """(name, config, lengths, storage dtype, save kwargs). Kept tiny so everything runs in seconds."""
    specs = []

    # Llama with GQA and llama3 RoPE. original_max_position_embeddings=16 (not 8192) so that with
    # head_dim 16 and theta 5e5 every frequency is either divided by `factor` or smoothed: the scaling
    # really changes the numbers. The config.json is rewritten into the old hub style afterwards.
    specs.append(("llama_gqa_llama3", LlamaConfig(
        vocab_size=512, hidden_size=64, intermediate_size=172, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, head_dim=16, max_position_embeddings=128,
        rms_norm_eps=1e-5, tie_word_embeddings=False,
        rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
                         "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                         "original_max_position_embeddings": 16},
    ), LENGTHS, torch.float32, {}))

    # Tied embeddings, plain MHA, saved in several shards with an index file.
    specs.append(("llama_tied", LlamaConfig(
        vocab_size=384, hidden_size=64, intermediate_size=176, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=128,
        rms_norm_eps=1e-6, tie_word_embeddings=True,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
    ), LENGTHS, torch.float32, {"max_shard_size": "150KB"}))

    # Linear RoPE scaling, stored as float16.
    specs.append(("llama_linear_rope", LlamaConfig(
        vocab_size=320, hidden_size=96, intermediate_size=256, num_hidden_layers=3,
        num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=128,
        rms_norm_eps=1e-6, tie_word_embeddings=False,
        rope_parameters={"rope_type": "linear", "rope_theta": 10000.0, "factor": 2.0},
    ), LENGTHS, torch.float16, {}))

    # Dynamic NTK RoPE: max_position_embeddings=16 and sequences of 24 and 40 tokens so the base is
    # actually rescaled (12 tokens stays unscaled). Also attention_bias (q,k,v AND o_proj) and mlp_bias.
    # Stored as bfloat16.
    specs.append(("llama_dynamic_rope", LlamaConfig(
        vocab_size=300, hidden_size=64, intermediate_size=160, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=16,
        rms_norm_eps=1e-6, tie_word_embeddings=False, attention_bias=True, mlp_bias=True,
        rope_parameters={"rope_type": "dynamic", "rope_theta": 10000.0, "factor": 2.0},
    ), [1, 12, 24, 40], torch.bfloat16, {}))

    # Qwen2: q/k/v biases (no o_proj bias), GQA, untied, theta 1e6.
    specs.append(("qwen2", Qwen2Config(
        vocab_size=640, hidden_size=96, intermediate_size=256, num_hidden_layers=2,
        num_attention_heads=6, num_key_value_heads=2, max_position_embeddings=128,
        rms_norm_eps=1e-6, tie_word_embeddings=False, use_sliding_window=False,
        rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
    ), LENGTHS, torch.float32, {}))

    # Mistral: GQA, sliding window far longer than any sequence (so it is plain causal attention).
    specs.append(("mistral", MistralConfig(
        vocab_size=500, hidden_size=128, intermediate_size=344, num_hidden_layers=2,
        num_attention_heads=8, num_key_value_heads=2, head_dim=16, max_position_embeddings=256,
        rms_norm_eps=1e-5, tie_word_embeddings=False, sliding_window=4096,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
    ), LENGTHS, torch.float32, {}))

    # GPT-2: learned positions (n_positions 64), LayerNorm with bias, Conv1D weights, tied lm_head.
    # bos/eos = last id, like GPT-2's <|endoftext|> (GPT2Config's default 50256 would be out of vocab).
    specs.append(("gpt2", GPT2Config(
        vocab_size=400, n_positions=64, n_embd=64, n_layer=2, n_head=4,
        layer_norm_epsilon=1e-5, tie_word_embeddings=True, bos_token_id=399, eos_token_id=399,
    ), LENGTHS, torch.float32, {}))
    return specs


@torch.no_grad()
def randomize(model, seed):
    """Re-initialise every parameter so the reference is informative.

    transformers' own init (std 0.02, zero biases, unit norm weights) gives nearly uniform log-probs and
    zero biases / unit norms that would not catch a loader that drops a bias or a norm weight. So:
    matrices ~ N(0, 0.2), biases ~ N(0, 0.1), norm weights ~ 1 + N(0, 0.2)."""
    g = torch.Generator().manual_seed(seed)
    for name, p in model.named_parameters():  # tied tensors appear once
        if name.endswith("bias"):
            p.copy_(torch.randn(p.shape, generator=g) * 0.1)
        elif p.dim() == 1:  # RMSNorm / LayerNorm weight
            p.copy_(1.0 + torch.randn(p.shape, generator=g) * 0.2)
        else:
            p.copy_(torch.randn(p.shape, generator=g) * 0.2)


def load_fp32(path):
    """Load a saved checkpoint as the reference sees it: fp32 compute (from fp16/bf16-rounded weights if
    stored that way), eager attention. dtype must be explicit: transformers 5 defaults to dtype='auto'."""
    model, info = AutoModelForCausalLM.from_pretrained(
        path, dtype=torch.float32, attn_implementation="eager", output_loading_info=True)
    bad = {k: v for k, v in info.items() if k in ("missing_keys", "unexpected_keys", "mismatched_keys") and v}
    assert not bad, f"{path}: loading problems {bad}"
    assert model.config._attn_implementation == "eager", model.config._attn_implementation
    return model.eval()


def rewrite_old_style_rope(cfg_path):
    """Turn transformers-5 `rope_parameters` into the older hub layout (top-level rope_theta + rope_scaling),
    as in e.g. meta-llama/Llama-3.1-8B's config.json, so the C++ loader is tested on both layouts."""
    with open(cfg_path) as f:
        cfg = json.load(f)
    rp = dict(cfg.pop("rope_parameters"))
    cfg["rope_theta"] = rp.pop("rope_theta")
    cfg["rope_scaling"] = rp  # keeps "rope_type": "llama3", factor, low/high_freq_factor, original_max...
    with open(cfg_path, "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[2])
    outdir = sys.argv[1]
    for idx, (name, config, lengths, dtype, save_kwargs) in enumerate(model_specs()):
        t0 = time.time()
        seed = 1000 + idx
        torch.manual_seed(seed)
        config.initializer_range = 0.2  # recorded in config.json; the actual init is randomize() below
        model = AutoModelForCausalLM.from_config(config, attn_implementation="eager", dtype=torch.float32)
        assert model.config._attn_implementation == "eager"
        randomize(model, seed)
        model.eval()

        g = torch.Generator().manual_seed(seed + 500)
        seqs = [torch.randint(0, config.vocab_size, (n,), generator=g).tolist() for n in lengths]
        if name == "gpt2":
            assert max(lengths) <= config.n_positions
        if name == "llama_dynamic_rope":
            assert max(lengths) > config.max_position_embeddings

        path = os.path.join(outdir, name)
        os.makedirs(path, exist_ok=True)
        in_memory = [sequence_logprobs(model, s) for s in seqs]
        model.to(dtype).save_pretrained(path, **save_kwargs)

        # Reference = what the *saved* checkpoint gives in fp32 (so fp16/bf16 rounding is baked in).
        reloaded = load_fp32(path)
        ref = [sequence_logprobs(reloaded, s) for s in seqs]
        if dtype == torch.float32:  # sanity: save/load round trip is exact
            diff = max((abs(a - b) for r, m in zip(ref, in_memory) for a, b in zip(r, m)), default=0.0)
            assert diff < 1e-5, f"{name}: reload changed log-probs by {diff}"

        if name == "llama_gqa_llama3":
            rewrite_old_style_rope(os.path.join(path, "config.json"))
            cfg = AutoConfig.from_pretrained(path)
            assert cfg.rope_parameters["rope_type"] == "llama3", cfg.rope_parameters
            old = [sequence_logprobs(load_fp32(path), s) for s in seqs]
            diff = max(abs(a - b) for r, o in zip(ref, old) for a, b in zip(r, o))
            assert diff == 0.0, f"old-style rope config changed log-probs by {diff}"
        if name == "llama_tied":
            assert os.path.exists(os.path.join(path, "model.safetensors.index.json")), "not sharded"

        with open(os.path.join(path, "input.jsonl"), "w") as f:
            for s in seqs:
                f.write(json.dumps({"ids": s}) + "\n")
        with open(os.path.join(path, "reference.jsonl"), "w") as f:
            for s, lp in zip(seqs, ref):
                assert len(lp) == len(s) - 1 and all(math.isfinite(v) for v in lp)
                f.write(json.dumps({"ids": s, "logprobs": lp}) + "\n")

        n_params = sum(p.numel() for p in model.parameters())
        files = sorted(os.listdir(path))
        print(f"{name}: params={n_params} dtype={str(dtype).replace('torch.', '')} "
              f"lengths={lengths} files={files} ({time.time() - t0:.2f}s)")


if __name__ == "__main__":
    main()
