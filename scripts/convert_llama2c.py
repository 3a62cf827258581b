#!/usr/bin/env python3
"""Convert a llama2.c "v0" (legacy) checkpoint to a Hugging Face LlamaForCausalLM directory.

Usage: python scripts/convert_llama2c.py CHECKPOINT.bin OUTDIR [--tokenizer TOK.bin] [--reference GREEDY.json] [--no-verify]

With --tokenizer, llama2.c's tokenizer file (int32 max_token_length, then per token: float32 score,
int32 length, bytes; pieces use ' ' for sentencepiece's U+2581 and "<0xNN>" for byte tokens) becomes
OUTDIR/tokenizer.json + tokenizer_config.json: a Llama-style byte-fallback BPE whose merges are
ranked by the merged piece's score, which is how llama2.c's encoder picks the next merge.

Writes OUTDIR/config.json and OUTDIR/model.safetensors (float32) using only numpy + safetensors, so the
conversion does not depend on transformers. Afterwards (unless --no-verify, and only if transformers is
importable) it loads OUTDIR with transformers and checks it against a reference computed independently
from the llama2.c forward pass: greedy ids reproduced by argmax at every position, and the
teacher-forced mean NLL of those ids. --reference defaults to reference_greedy_100.json next to the
checkpoint.

File layout (llama2.c run.c, read_checkpoint / memory_map_weights): 7 x int32 header
(dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len; vocab_size < 0 means the
classifier is NOT shared with the embedding), then float32 arrays:
token_embedding_table [vocab, dim], rms_att_weight [L, dim], wq [L, dim, n_heads*hs],
wk [L, dim, n_kv*hs], wv [L, dim, n_kv*hs], wo [L, n_heads*hs, dim], rms_ffn_weight [L, dim],
w1 [L, hidden, dim], w2 [L, dim, hidden], w3 [L, hidden, dim], rms_final_weight [dim],
freq_cis_real [seq_len, hs/2], freq_cis_imag [seq_len, hs/2], wcls [vocab, dim] (only if unshared).
run.c's matmul(xout, x, w, n, d) computes xout[i] = sum_j w[i*n + j] x[j], i.e. each layer matrix is
stored row-major as [out, in] -- exactly torch nn.Linear.weight -- so no transposes are needed.
"""
import argparse
import json
import os
import sys

import numpy as np
from safetensors.numpy import save_file

HEADER = ("dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len")


def read_llama2c(path):
    raw = np.fromfile(path, dtype="<i4", count=7)
    if raw.size != 7:
        sys.exit(f"{path}: too short for a llama2.c header")
    h = dict(zip(HEADER, (int(v) for v in raw)))
    if not (all(h[k] > 0 for k in HEADER if k != "vocab_size") and h["vocab_size"] != 0
            and h["dim"] % h["n_heads"] == 0 and h["n_heads"] % h["n_kv_heads"] == 0
            and (h["dim"] // h["n_heads"]) % 2 == 0):
        sys.exit(f"{path}: implausible llama2.c header {h}")
    shared = h["vocab_size"] > 0
    h["vocab_size"] = abs(h["vocab_size"])
    dim, hidden, L = h["dim"], h["hidden_dim"], h["n_layers"]
    nh, nkv, V, T = h["n_heads"], h["n_kv_heads"], h["vocab_size"], h["seq_len"]
    hs = dim // nh
    shapes = [
        ("tok_emb", (V, dim)), ("rms_att", (L, dim)),
        ("wq", (L, nh * hs, dim)), ("wk", (L, nkv * hs, dim)), ("wv", (L, nkv * hs, dim)),
        ("wo", (L, dim, nh * hs)), ("rms_ffn", (L, dim)),
        ("w1", (L, hidden, dim)), ("w2", (L, dim, hidden)), ("w3", (L, hidden, dim)),
        ("rms_final", (dim,)), ("freq_cis_real", (T, hs // 2)), ("freq_cis_imag", (T, hs // 2)),
    ]
    if not shared:
        shapes.append(("wcls", (V, dim)))
    data = np.fromfile(path, dtype="<f4", offset=7 * 4)
    need = sum(int(np.prod(s)) for _, s in shapes)
    # The exact size check is what validates our reading of the layout (e.g. 264128 floats for
    # stories260K): any wrong shape or a v1/v2 (versioned, 256-byte header) file fails here.
    if data.size != need:
        sys.exit(f"{path}: {data.size} floats after the header, expected {need} for {h} "
                 f"(shared classifier: {shared}); not a llama2.c v0 checkpoint?")
    w, off = {}, 0
    for name, shape in shapes:
        n = int(np.prod(shape))
        w[name] = data[off:off + n].reshape(shape)
        off += n
    return h, shared, w


def check_rope_theta(h, w, theta=10000.0):
    """llama2.c stores its precomputed RoPE table; make sure it was built with the theta we write into
    config.json (the file does not store theta itself)."""
    hs = h["dim"] // h["n_heads"]
    freqs = 1.0 / theta ** (np.arange(0, hs, 2, dtype=np.float64) / hs)
    ang = np.arange(h["seq_len"], dtype=np.float64)[:, None] * freqs[None, :]
    err = max(np.abs(np.cos(ang) - w["freq_cis_real"]).max(), np.abs(np.sin(ang) - w["freq_cis_imag"]).max())
    if err > 1e-3:
        sys.exit(f"stored RoPE table does not match rope_theta={theta} (max err {err:.2e})")


def permute_rope(x, n_heads):
    """llama2.c rotates interleaved pairs (0,1),(2,3),... of each head; HF Llama rotates (i, i+hs/2)
    (rotate_half). Reorder the output rows of q/k per head so HF's convention computes the same thing.
    Same as transformers' convert_llama_weights_to_hf.py permute():
    w.view(n_heads, dim1 // n_heads // 2, 2, dim2).transpose(1, 2).reshape(dim1, dim2)."""
    dim1, dim2 = x.shape
    return x.reshape(n_heads, dim1 // n_heads // 2, 2, dim2).transpose(0, 2, 1, 3).reshape(dim1, dim2)


def convert(h, shared, w):
    c = lambda a: np.ascontiguousarray(a, dtype=np.float32)  # noqa: E731  (safetensors needs contiguous)
    t = {"model.embed_tokens.weight": c(w["tok_emb"]), "model.norm.weight": c(w["rms_final"])}
    for i in range(h["n_layers"]):
        p = f"model.layers.{i}."
        t[p + "input_layernorm.weight"] = c(w["rms_att"][i])
        t[p + "self_attn.q_proj.weight"] = c(permute_rope(w["wq"][i], h["n_heads"]))
        t[p + "self_attn.k_proj.weight"] = c(permute_rope(w["wk"][i], h["n_kv_heads"]))
        t[p + "self_attn.v_proj.weight"] = c(w["wv"][i])
        t[p + "self_attn.o_proj.weight"] = c(w["wo"][i])
        t[p + "post_attention_layernorm.weight"] = c(w["rms_ffn"][i])
        t[p + "mlp.gate_proj.weight"] = c(w["w1"][i])  # silu(w1 x) * (w3 x), then w2
        t[p + "mlp.down_proj.weight"] = c(w["w2"][i])
        t[p + "mlp.up_proj.weight"] = c(w["w3"][i])
    if not shared:
        t["lm_head.weight"] = c(w["wcls"])
    # Tied: lm_head.weight is omitted, as transformers' own save_pretrained does for tied models.
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": h["dim"],
        "intermediate_size": h["hidden_dim"],
        "num_hidden_layers": h["n_layers"],
        "num_attention_heads": h["n_heads"],
        "num_key_value_heads": h["n_kv_heads"],
        "head_dim": h["dim"] // h["n_heads"],
        "vocab_size": h["vocab_size"],
        "max_position_embeddings": h["seq_len"],
        "rms_norm_eps": 1e-5,  # llama2.c rmsnorm: 1/sqrt(mean(x^2) + 1e-5)
        "rope_theta": 10000.0,  # top-level (pre-transformers-5 layout), read by all versions
        "hidden_act": "silu",
        "attention_bias": False,
        "mlp_bias": False,
        "tie_word_embeddings": shared,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "initializer_range": 0.02,
        "use_cache": True,
        "dtype": "float32",
    }
    return config, t


def verify(outdir, ref_path):
    """Greedy-id reproduction and teacher-forced NLL, against the independent llama2.c reference."""
    try:
        import torch
        import transformers
        from transformers import AutoModelForCausalLM
    except ImportError:
        print("verify: transformers not importable, skipped")
        return True
    torch.set_num_threads(2)
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    model, info = AutoModelForCausalLM.from_pretrained(
        outdir, dtype=torch.float32, attn_implementation="eager", output_loading_info=True)
    bad = {k: v for k, v in info.items() if k in ("missing_keys", "unexpected_keys", "mismatched_keys") and v}
    if bad:
        print(f"verify FAIL: loading problems {bad}")
        return False
    if not os.path.exists(ref_path):
        print(f"verify: loads cleanly; no reference at {ref_path}, greedy/NLL check skipped")
        return True
    with open(ref_path) as f:
        ref = json.load(f)
    greedy = ref["greedy_ids"]
    ids = torch.tensor([[ref.get("bos_id", 1)] + greedy])
    with torch.no_grad():
        logits = model.eval()(input_ids=ids).logits[0, :-1].float()  # position i predicts greedy[i]
    target = torch.tensor(greedy)
    argmax_ok = int((logits.argmax(-1) == target).sum())
    nll = float(-torch.log_softmax(logits, -1).gather(1, target[:, None]).mean())
    want = ref["teacher_forced_mean_nll_of_greedy_ids"]
    print(f"verify: greedy argmax matches {argmax_ok}/{len(greedy)}; "
          f"teacher-forced mean NLL {nll:.9f} (reference {want:.9f}, |diff| {abs(nll - want):.2e})")
    ok = argmax_ok == len(greedy) and abs(nll - want) <= 1e-4
    print("verify PASS" if ok else "verify FAIL")
    return ok


def read_llama2c_tokenizer(path):
    data = open(path, "rb").read()
    pos, pieces = 4, []
    while pos < len(data):
        score, length = np.frombuffer(data[pos:pos + 4], "<f4")[0], int(np.frombuffer(data[pos + 4:pos + 8], "<i4")[0])
        piece = data[pos + 8:pos + 8 + length].decode("utf-8")
        pieces.append((piece.replace(" ", "\u2581"), float(score)))
        pos += 8 + length
    return pieces


def write_tokenizer(pieces, outdir):
    vocab = {p: i for i, (p, _) in enumerate(pieces)}
    merges = []
    for i, (p, score) in enumerate(pieces):
        if i < 3 or p.startswith("<0x") or len(p) < 2:
            continue
        for k in range(1, len(p)):
            a, b = p[:k], p[k:]
            if a in vocab and b in vocab:
                merges.append((-score, vocab[a], vocab[b], a, b))
    merges.sort()
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, t in enumerate(["<unk>", "<s>", "</s>"])],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"}, {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
        "pre_tokenizer": None,
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                           "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                    {"Sequence": {"id": "B", "type_id": 1}}],
                           "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "}, {"type": "ByteFallback"},
            {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                  "vocab": vocab, "merges": [[a, b] for *_, a, b in merges]},
    }
    with open(os.path.join(outdir, "tokenizer.json"), "w") as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    with open(os.path.join(outdir, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "LlamaTokenizerFast", "bos_token": "<s>", "eos_token": "</s>",
                   "unk_token": "<unk>", "add_bos_token": True, "add_eos_token": False}, f, indent=2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("checkpoint")
    ap.add_argument("outdir")
    ap.add_argument("--reference", help="greedy reference JSON (default: reference_greedy_100.json "
                                        "next to the checkpoint)")
    ap.add_argument("--no-verify", action="store_true", help="skip the transformers check")
    ap.add_argument("--tokenizer", help="llama2.c tokenizer .bin to convert to tokenizer.json")
    args = ap.parse_args()

    h, shared, w = read_llama2c(args.checkpoint)
    check_rope_theta(h, w)
    config, tensors = convert(h, shared, w)
    os.makedirs(args.outdir, exist_ok=True)
    with open(os.path.join(args.outdir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    # metadata format=pt: what torch-side writers put there; transformers checks it on load.
    save_file(tensors, os.path.join(args.outdir, "model.safetensors"), metadata={"format": "pt"})
    if args.tokenizer:
        write_tokenizer(read_llama2c_tokenizer(args.tokenizer), args.outdir)
    n = sum(a.size for a in tensors.values())
    print(f"converted {args.checkpoint}: {h} shared_classifier={shared} -> {args.outdir} "
          f"({len(tensors)} tensors, {n} params)")

    if args.no_verify:
        return 0
    ref = args.reference or os.path.join(os.path.dirname(os.path.abspath(args.checkpoint)),
                                         "reference_greedy_100.json")
    return 0 if verify(args.outdir, ref) else 1


if __name__ == "__main__":
    sys.exit(main())
