#!/usr/bin/env python3
"""Scaling model of data-parallel finetune over N nodes, fed with numbers measured here.

Step time on N nodes = compute(N) + exposed communication(N):
- compute(N): the global batch (METHOD.md: 256 unlabeled + 64 labeled rows) split over N nodes,
  at the measured seconds per row of one node (tools/bench-finetune-ddp.sh measures ViT-S/14 on
  this 2-core machine); ViT-B/14 and ViT-L/14 scale it by their FLOPs per token
  (24 d^2 + 4 T d per layer, T = 257 tokens at 224 px);
- communication: a ring all-reduce of every gradient (4 bytes per backbone and head parameter) in
  25 MiB buckets: 2 (N-1)/N bytes / bandwidth + 2 (N-1) latency per bucket;
- overlap: the buckets reduce while the backward pass (2/3 of compute) still runs, except the
  last one (the first blocks' gradients are final only when the pass ends), so
  exposed = max(communication - backward, the last bucket's share of it);
- the optimiser update (AdamW over every weight, memory-bound) is repeated in full on every node:
  the measured update seconds of ViT-S/14, scaled by parameters, and by the node's memory speed
  (not its core count).
Efficiency = step(1) / (N step(N)). Python 3.9+, no dependencies.
"""
import argparse
import math

MODELS = {  # name: (width, blocks, backbone parameters)
    "ViT-S/14": (384, 12, 22.06e6),
    "ViT-B/14": (768, 12, 86.58e6),
    "ViT-L/14": (1024, 24, 304.4e6),
}
LINKS = {"10 Gbit/s Ethernet (TCP)": (10e9 / 8, 30e-6), "100 Gbit/s (InfiniBand/RoCE)": (100e9 / 8, 5e-6)}
BUCKET = 25 * 2**20
TOKENS = 257


def flops_per_token(width, blocks):
    return blocks * (24 * width * width + 4 * TOKENS * width)


def head_parameters(width, classes=10, hidden=512, style=32, disc=256):
    encoder = width * hidden + hidden * hidden + hidden * classes + hidden * style
    decoder = (classes + style) * hidden + hidden * hidden + hidden * width
    discriminators = (classes + style) * disc + 2 * disc * disc + 2 * disc
    return encoder + decoder + discriminators


def allreduce_seconds(nbytes, nodes, bandwidth, latency):
    if nodes == 1:
        return 0.0
    buckets = math.ceil(nbytes / BUCKET)
    return 2 * (nodes - 1) / nodes * nbytes / bandwidth + buckets * 2 * (nodes - 1) * latency


def step_seconds(row_seconds, update, rows, nbytes, nodes, bandwidth, latency):
    compute = row_seconds * math.ceil(rows / nodes)
    comm = allreduce_seconds(nbytes, nodes, bandwidth, latency)
    last = comm * min(1.0, BUCKET / nbytes)
    exposed = max(comm - 2 / 3 * compute, last) if nodes > 1 else 0.0
    return compute + update + exposed, comm, exposed


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds-per-row", type=float, required=True, help="one node's training seconds per row, ViT-S/14")
    p.add_argument("--update-seconds", type=float, required=True, help="one node's optimiser update seconds, ViT-S/14")
    p.add_argument("--measured-wait", type=float, help="2 processes on this machine: median wait per step (reported)")
    p.add_argument("--rows", type=int, default=320, help="global batch rows per step (METHOD.md: 256 + 64)")
    p.add_argument("--node-speedups", default="1,32", help="node compute relative to the measured node (32: a 64-core node)")
    p.add_argument("--memory-speedups", default="1,8", help="node memory bandwidth relative to the measured node, per node kind")
    p.add_argument("--nodes", default="1,2,4,8,16,32,64")
    a = p.parse_args()
    nodes = [int(n) for n in a.nodes.split(",")]
    base = flops_per_token(384, 12)
    print(f"\nscaling model: global batch {a.rows} rows; measured on one 2-core node, ViT-S/14: {a.seconds_per_row:.4f} s per row, "
          f"{a.update_seconds:.3f} s per optimiser update"
          + (f"; 2 processes here waited {a.measured_wait:.3f} s per step on reductions" if a.measured_wait is not None else ""))
    small = MODELS["ViT-S/14"][2] + head_parameters(384)
    kinds = zip([float(s) for s in a.node_speedups.split(",")], [float(s) for s in a.memory_speedups.split(",")])
    for speedup, memory in kinds:
        for link, (bandwidth, latency) in LINKS.items():
            print(f"\nnodes {speedup:g}x this machine's compute and {memory:g}x its memory bandwidth, {link}: "
                  "efficiency (step time s, exposed communication s)")
            print("| model | MiB per step | " + " | ".join(f"N={n}" for n in nodes) + " |")
            print("|---|---|" + "---|" * len(nodes))
            for name, (width, blocks, params) in MODELS.items():
                weights = params + head_parameters(width)
                nbytes = 4 * weights
                row = a.seconds_per_row * flops_per_token(width, blocks) / base / speedup
                update = a.update_seconds * weights / small / memory
                one = step_seconds(row, update, a.rows, nbytes, 1, bandwidth, latency)[0]
                cells = []
                for n in nodes:
                    t, _, exposed = step_seconds(row, update, a.rows, nbytes, n, bandwidth, latency)
                    cells.append(f"{100 * one / (n * t):.0f}% ({t:.2f}, {exposed:.2f})")
                print(f"| {name} | {nbytes / 2**20:.0f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
