#!/usr/bin/env python3
"""Reference trajectories of torch.optim.Adam and AdamW with two parameter groups and
gradient-norm clipping, for the Swift optimiser parity test.

Two parameters in two groups (different learning rates, betas and weight decay) take five
steps on fixed gradients, clipped to a global norm of 1.0 before each step. Writes
Tests/CSDNNTests/Fixtures/optimizer_parity.safetensors with
  init.p1, init.p2          starting values
  grad.<s>.p1, grad.<s>.p2  the raw gradients of step s
  norm.<s>                  the total norm clip_grad_norm_ returned at step s
  adam.<s>.p*, adamw.<s>.p* parameters after step s

requires: torch==2.13.0+cpu safetensors==0.7.0 (see tools/requirements.txt)
"""
import pathlib

import torch
from safetensors.torch import save_file

STEPS = 5


def main():
    torch.manual_seed(0)
    init = {"p1": torch.randn(3, 4), "p2": torch.randn(5)}
    grads = [{k: torch.randn_like(v) * (3.0 if s % 2 else 0.2) for k, v in init.items()} for s in range(STEPS)]
    out = {f"init.{k}": v.clone() for k, v in init.items()}
    for s, g in enumerate(grads):
        out.update({f"grad.{s}.{k}": v.clone() for k, v in g.items()})

    for name, cls in (("adam", torch.optim.Adam), ("adamw", torch.optim.AdamW)):
        params = {k: torch.nn.Parameter(v.clone()) for k, v in init.items()}
        opt = cls([
            {"params": [params["p1"]], "lr": 1e-2, "betas": (0.9, 0.999), "weight_decay": 0.1},
            {"params": [params["p2"]], "lr": 5e-3, "betas": (0.5, 0.999), "weight_decay": 0.0},
        ], eps=1e-8)
        for s, g in enumerate(grads):
            opt.zero_grad()
            for k, p in params.items():
                p.grad = g[k].clone()
            norm = torch.nn.utils.clip_grad_norm_(list(params.values()), max_norm=1.0)
            out[f"norm.{s}"] = norm.detach().reshape([]).clone()
            opt.step()
            out.update({f"{name}.{s}.{k}": p.detach().clone() for k, p in params.items()})

    path = pathlib.Path(__file__).resolve().parent.parent / "Tests/CSDNNTests/Fixtures/optimizer_parity.safetensors"
    save_file(out, str(path), metadata={"generator": "tools/make_optimizer_fixture.py", "torch": torch.__version__})
    print(f"wrote {path} ({len(out)} tensors)")


if __name__ == "__main__":
    main()
