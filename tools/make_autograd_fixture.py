#!/usr/bin/env python3
"""Reference forward and backward of a small ViT-style composite, for the Swift autodiff parity test.

A patch embedding, a [CLS] token and position embeddings, two pre-norm transformer blocks
(multi-head attention, LayerScale, an exact-GELU MLP in the first block and a QuickGELU MLP in
the second), a final LayerNorm, a linear head, and the loss
    CE(head(cls), labels) + 0.5 * mean(1 - cos(cls, target)).
Norm and LayerScale parameters are perturbed away from their initial values so that a
mistake in their gradients cannot hide behind ones and zeros.

Writes Tests/CSDAutogradTests/Fixtures/transformer_parity.safetensors with
  param.<key>     every parameter (PyTorch key names)
  input.*         images [B, C, H, W], labels (int64), target [B, D]
  output.*        logits, loss, hidden (final normalised tokens)
  grad.<key>      the gradient of the loss for every parameter, and grad.input.images

requires: torch==2.13.0+cpu safetensors==0.7.0 (see tools/requirements.txt)
"""
import math
import pathlib

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

B, C, H, W, P = 2, 3, 8, 12, 4
D, HEADS, HIDDEN, K = 16, 4, 32, 3


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.query, self.key, self.value = nn.Linear(D, D), nn.Linear(D, D), nn.Linear(D, D)
        self.output = nn.Linear(D, D)

    def forward(self, x):
        b, t, _ = x.shape
        split = lambda y: y.view(b, t, HEADS, D // HEADS).transpose(1, 2)
        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(D // HEADS)
        out = scores.softmax(-1) @ v
        return self.output(out.transpose(1, 2).reshape(b, t, D))


class LayerScale(nn.Module):
    def __init__(self):
        super().__init__()
        self.lambda1 = nn.Parameter(0.5 + 0.1 * torch.randn(D))

    def forward(self, x):
        return x * self.lambda1


class MLP(nn.Module):
    def __init__(self, act):
        super().__init__()
        self.fc1, self.fc2, self.act = nn.Linear(D, HIDDEN), nn.Linear(HIDDEN, D), act

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


def perturbed_norm():
    norm = nn.LayerNorm(D, eps=1e-6)
    with torch.no_grad():
        norm.weight.copy_(1 + 0.1 * torch.randn(D))
        norm.bias.copy_(0.1 * torch.randn(D))
    return norm


class Block(nn.Module):
    def __init__(self, act):
        super().__init__()
        self.norm1, self.attn, self.ls1 = perturbed_norm(), Attention(), LayerScale()
        self.norm2, self.mlp, self.ls2 = perturbed_norm(), MLP(act), LayerScale()

    def forward(self, x):
        x = x + self.ls1(self.attn(self.norm1(x)))
        return x + self.ls2(self.mlp(self.norm2(x)))


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch_embed = nn.Conv2d(C, D, kernel_size=P, stride=P)
        self.cls_token = nn.Parameter(torch.randn(1, 1, D))
        self.pos_embed = nn.Parameter(0.1 * torch.randn(1, 1 + (H // P) * (W // P), D))
        self.blocks = nn.ModuleList([Block(F.gelu), Block(quick_gelu)])
        self.norm = perturbed_norm()
        self.head = nn.Linear(D, K)

    def forward(self, images):
        tokens = self.patch_embed(images).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(images.shape[0], -1, -1), tokens], dim=1) + self.pos_embed
        for block in self.blocks:
            x = block(x)
        hidden = self.norm(x)
        return hidden, self.head(hidden[:, 0])


def main():
    torch.manual_seed(0)
    model = Model()
    images = torch.randn(B, C, H, W, requires_grad=True)
    labels = torch.tensor([2, 0], dtype=torch.int64)
    target = torch.randn(B, D)
    hidden, logits = model(images)
    loss = F.cross_entropy(logits, labels) + 0.5 * (1 - F.cosine_similarity(hidden[:, 0], target, dim=-1)).mean()
    loss.backward()

    out = {f"param.{k}": v.detach().clone() for k, v in model.named_parameters()}
    out.update({f"grad.{k}": v.grad.clone() for k, v in model.named_parameters()})
    out.update({
        "input.images": images.detach().clone(), "input.labels": labels, "input.target": target,
        "output.logits": logits.detach().clone(), "output.loss": loss.detach().reshape([]).clone(),
        "output.hidden": hidden.detach().clone(), "grad.input.images": images.grad.clone(),
    })
    path = pathlib.Path(__file__).resolve().parent.parent / "Tests/CSDAutogradTests/Fixtures/transformer_parity.safetensors"
    save_file({k: v.contiguous() for k, v in out.items()}, str(path),
              metadata={"generator": "tools/make_autograd_fixture.py", "torch": torch.__version__})
    print(f"wrote {path} ({len(out)} tensors), loss {loss.item():.6f}")


if __name__ == "__main__":
    main()
