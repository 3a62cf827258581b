"""Shared by the reference scripts: transformers set up offline and quiet, and per-sequence log-probs.

Importing this module sets HF_HUB_OFFLINE (local directories only: a typo in a path must not turn into
a Hub lookup) and limits torch to 2 threads, then imports transformers.
"""
import os

import torch

torch.set_num_threads(2)
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import transformers  # noqa: E402

transformers.logging.set_verbosity_error()
transformers.logging.disable_progress_bar()


def reset_dynamic_rope(model):
    """HF's dynamic RoPE is stateful: after a long sequence the rotary module keeps the rescaled inv_freq
    for any later sequence still longer than max_position_embeddings. Reset it so each sequence is scored
    as if alone (seq_len = max(len, max_position_embeddings)), independent of the order of the lines."""
    for m in model.modules():
        if hasattr(m, "original_inv_freq") and hasattr(m, "original_max_seq_len"):
            m.inv_freq = m.original_inv_freq.clone()
            m.max_seq_len_cached = m.original_max_seq_len


@torch.no_grad()
def sequence_logprobs(model, ids):
    """logprobs[i] = log_softmax(logits[i])[ids[i+1]] for one unpadded sequence (len-1 values)."""
    reset_dynamic_rope(model)
    x = torch.tensor([ids], dtype=torch.long)
    lp = torch.log_softmax(model(input_ids=x).logits[0].float(), dim=-1)
    return lp[:-1].gather(1, x[0, 1:, None])[:, 0].tolist()
