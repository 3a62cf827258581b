#!/usr/bin/env python3
"""Reference values and gradients of every amkd objective, written from docs/AMMD.md alone.

Usage: python scripts/make_objective_reference.py OUT.safetensors

Random inputs (two batches, rows of different lengths, one row without response positions,
a padded vocabulary entry at -inf in the divergence inputs) and, computed here in float64 with
plain loops over sequences and positions (no amkd code, no chunking), the outputs the C++
objectives must reproduce to 1e-5:
  div_<kind>_loss / div_<kind>_grad        mean over response tokens and d/d(student logits)
  ammd<c>_<quantity>                        distances, critic objective, student terms, and
                                            gradients w.r.t. critic head outputs and student logits,
                                            for configurations ammd0..ammd3 (baselines, penalties,
                                            closed-form critic)
"""
import sys

import torch
from safetensors.torch import save_file

torch.manual_seed(1234)
V, T = 11, 6


def batch(rows, lengths, starts):
    mask = torch.zeros(rows, T, dtype=torch.bool)
    for r, (n, s) in enumerate(zip(lengths, starts)):
        mask[r, s:s + n] = True
    return {
        "teacher": torch.randn(rows, T, V, dtype=torch.float64) * 2,
        "student": torch.randn(rows, T, V, dtype=torch.float64) * 2,
        "critic": torch.randn(rows, T, V, dtype=torch.float64),
        "tokens": torch.randint(0, V, (rows, T)),
        "mask": mask,
    }


on = batch(4, [5, 2, 0, 3], [1, 3, 0, 2])
off = batch(3, [4, 6, 1], [2, 0, 4])


def positions(mask):
    """[(row, t, T_row, step)] of response positions, row-major."""
    out = []
    for r in range(mask.shape[0]):
        ts = [t for t in range(T) if mask[r, t]]
        out += [(r, t, len(ts), k) for k, t in enumerate(ts)]
    return out


def kl(a, b):
    return sum(a[i] * (torch.log(a[i]) - torch.log(b[i])) for i in range(len(a)) if a[i] > 0)


def divergence(kind, p, q, beta=0.3, skew=0.1):
    if kind == "fkl":
        return kl(p, q)
    if kind == "rkl":
        return kl(q, p)
    if kind == "jsd":
        m = beta * p + (1 - beta) * q
        return beta * kl(p, m) + (1 - beta) * kl(q, m)
    if kind == "skl":
        return kl(p, skew * p + (1 - skew) * q)
    if kind == "srkl":
        return kl(q, skew * p + (1 - skew) * q)
    if kind == "tvd":
        return 0.5 * (p - q).abs().sum()
    raise ValueError(kind)


out = {}
for name, b in (("on", on), ("off", off)):
    for key, value in b.items():
        out[f"{name}_{key}"] = value.float() if value.is_floating_point() else value.long()

# Divergences on the on-policy batch, with the last vocabulary entry padded (-inf in both).
pad_t, pad_s = on["teacher"].clone(), on["student"].clone()
pad_t[..., -1] = float("-inf")
pad_s[..., -1] = float("-inf")
out["div_teacher"], out["div_student"] = pad_t.float(), pad_s.float()
# The float32 inputs are what C++ reads: compute from exactly those values.
pad_t, pad_s = out["div_teacher"].double(), out["div_student"].double()
for kind in ("fkl", "rkl", "jsd", "skl", "srkl", "tvd"):
    s = pad_s.clone().requires_grad_(True)
    pos = positions(on["mask"])
    total = 0
    for r, t, _, _ in pos:
        p = torch.softmax(pad_t[r, t, :V - 1], -1)
        q = torch.softmax(s[r, t, :V - 1], -1)
        total = total + divergence(kind, p, q)
    loss = total / len(pos)
    loss.backward()
    out[f"div_{kind}_loss"] = loss.detach().reshape(1).float()
    out[f"div_{kind}_grad"] = s.grad.float()

# AMMD, four configurations: the baselines, both penalties, both teacher expectations, and
# the critic's inner maximum in closed form.
configs = [
    dict(beta=0.3, l2=0.5, scale=1.5, exact=True, baseline="leave_one_out", penalty="uniform", closed=False, discount=1.0),
    dict(beta=0.6, l2=0.2, scale=1.0, exact=False, baseline="batch_mean", penalty="mixture", closed=False, discount=1.0),
    dict(beta=0.5, l2=1.0, scale=1.0, exact=True, baseline="none", penalty="mixture", closed=False, discount=0.8),
    dict(beta=0.4, l2=0.7, scale=1.0, exact=True, baseline="leave_one_out", penalty="mixture", closed=True, discount=0.5),
]
baseline_code = {"leave_one_out": 0.0, "batch_mean": 1.0, "none": 2.0}
for c, cfg in enumerate(configs):
    beta, l2, scale = cfg["beta"], cfg["l2"], cfg["scale"]
    data = {k: {n: v.double() if v.is_floating_point() else v for n, v in b.items()}
            for k, b in (("on", on), ("off", off))}
    for side in data.values():  # C++ reads float32 inputs
        for n in ("teacher", "student", "critic"):
            side[n] = side[n].float().double()
    h_on = data["on"]["critic"].clone().requires_grad_(True)
    h_off = data["off"]["critic"].clone().requires_grad_(True)
    s_on = data["on"]["student"].clone().requires_grad_(True)
    s_off = data["off"]["student"].clone().requires_grad_(True)

    def critic_f(h, p, q):
        if not cfg["closed"]:
            return scale * torch.tanh(h)
        # The inner maximum of (p - q) f - l2 * penalty(f) per vocabulary entry, clipped.
        q = q.detach()
        if cfg["penalty"] == "uniform":
            best = (p - q) / (2 * l2)
        else:
            best = torch.where(p + q > 0, (p - q) / (l2 * (p + q)), torch.zeros_like(p))
        return best.clamp(-scale, scale)

    def side_terms(side, h, s, critic_grad, student_grad):
        """Per sequence lists of per-position (g, off_moment, penalty, sum q f, log q(y))."""
        rows = {}
        for r, t, n, k in positions(side["mask"]):
            p = torch.softmax(side["teacher"][r, t], -1)
            q = torch.softmax(s[r, t] if student_grad else s[r, t].detach(), -1)
            f = critic_f(h[r, t] if critic_grad else h[r, t].detach(), p, q)
            y = side["tokens"][r, t]
            g = ((p - q) * f).sum()
            teacher_side = (p * f).sum() if cfg["exact"] else f[y]
            pen = (f * f).sum() if cfg["penalty"] == "uniform" else ((p + q.detach()) / 2 * f * f).sum()
            rows.setdefault(r, []).append(dict(
                g=g, off=teacher_side - (q * f).sum(), pen=pen, qf=(q * f).sum(),
                logq=torch.log(q[y]), n=n, k=k))
        return rows

    def mean_over_sequences(rows, key):
        return sum(sum(x[key] for x in seq) / len(seq) for seq in rows.values()) / len(rows)

    if not cfg["closed"]:
        # Critic objective (student detached), gradients w.r.t. critic head outputs.
        r_on = side_terms(data["on"], h_on, s_on, True, False)
        r_off = side_terms(data["off"], h_off, s_off, True, False)
        d_on, d_off = mean_over_sequences(r_on, "g"), mean_over_sequences(r_off, "off")
        objective = beta * d_off + (1 - beta) * d_on - l2 * (
            beta * mean_over_sequences(r_off, "pen") + (1 - beta) * mean_over_sequences(r_on, "pen"))
        objective.backward()
        out[f"ammd{c}_critic_objective"] = objective.detach().reshape(1).float()
        out[f"ammd{c}_critic_grad_on"] = h_on.grad.float()
        out[f"ammd{c}_critic_grad_off"] = h_off.grad.float()

    # Student loss (critic detached), gradients w.r.t. student logits.
    r_on = side_terms(data["on"], h_on, s_on, False, True)
    r_off = side_terms(data["off"], h_off, s_off, False, True)
    out[f"ammd{c}_d_on"] = mean_over_sequences(r_on, "g").detach().reshape(1).float()
    out[f"ammd{c}_d_off"] = mean_over_sequences(r_off, "off").detach().reshape(1).float()
    l_off = -mean_over_sequences(r_off, "qf")
    l_direct = -mean_over_sequences(r_on, "qf")
    # Reward-to-go of c_t = g_t / T (detached, discounted by gamma), minus the baseline at each step.
    to_go = {}
    for r, seq in r_on.items():
        costs = [x["g"].detach() / x["n"] for x in seq]
        gamma = cfg["discount"]
        to_go[r] = [sum((gamma ** (j - k - 1) * costs[j] for j in range(k + 1, len(seq))),
                        torch.tensor(0.0, dtype=torch.float64)) for k in range(len(seq))]
    def baseline(r, k):
        if cfg["baseline"] == "none":
            return 0.0
        here = {o: cs[k] for o, cs in to_go.items() if k < len(cs)}
        if cfg["baseline"] == "batch_mean":
            return sum(here.values()) / len(here)
        others = [C for o, C in here.items() if o != r]
        return sum(others) / len(others) if others else 0.0
    advantage = {r: [C - baseline(r, k) for k, C in enumerate(cs)] for r, cs in to_go.items()}
    # A per-sequence SUM over steps (no outer 1/T: each c_t already holds it), mean over sequences.
    l_pg = sum(sum(x["logq"] * advantage[r][k] for k, x in enumerate(seq))
               for r, seq in r_on.items()) / len(r_on)
    loss = beta * l_off + (1 - beta) * (l_direct + l_pg)
    loss.backward()
    for key, value in (("l_off", l_off), ("l_on_direct", l_direct), ("l_on_pg", l_pg), ("loss", loss)):
        out[f"ammd{c}_{key}"] = value.detach().reshape(1).float()
    out[f"ammd{c}_student_grad_on"] = s_on.grad.float()
    out[f"ammd{c}_student_grad_off"] = s_off.grad.float()
    for key in ("beta", "l2", "scale", "discount"):
        out[f"ammd{c}_param_{key}"] = torch.tensor([cfg[key]], dtype=torch.float32)
    out[f"ammd{c}_param_exact"] = torch.tensor([1.0 if cfg["exact"] else 0.0])
    out[f"ammd{c}_param_baseline"] = torch.tensor([baseline_code[cfg["baseline"]]])
    out[f"ammd{c}_param_mixture"] = torch.tensor([1.0 if cfg["penalty"] == "mixture" else 0.0])
    out[f"ammd{c}_param_closed"] = torch.tensor([1.0 if cfg["closed"] else 0.0])

save_file({k: v.contiguous() for k, v in out.items()}, sys.argv[1])
print(f"wrote {len(out)} tensors to {sys.argv[1]}")
