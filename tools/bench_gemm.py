#!/usr/bin/env python3
"""PyTorch reference for tools/bench-gemm.sh: torch.matmul on the ViT-S/14 block shapes.

Prints tab-separated GFLOP/s medians with the same keys as `gemm-bench --tsv`.
"""
import argparse
import statistics
import sys
import time

import torch

# The four linear layers of a ViT-S/14 block (D = 384, MLP 1536): name, K (in), N (out).
SHAPES = [("qkv", 384, 1152), ("proj", 384, 384), ("fc1", 384, 1536), ("fc2", 1536, 384)]


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--tokens", type=int, default=257)
    p.add_argument("--reps", type=int, default=9)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}; threads {torch.get_num_threads()}; reps {args.reps}",
          file=sys.stderr)

    m = args.batch * args.tokens
    gen = torch.Generator().manual_seed(1)
    print("layout\tshape\tm\tn\tk\ttorch\ttorch_bf16")
    with torch.inference_mode():
        for transposed in (True, False):
            for name, k, n in SHAPES:
                x = torch.randn(m, k, generator=gen)
                # PyTorch's Linear layout is [out, in] = [N, K]; the other is [K, N].
                w = torch.randn(n, k, generator=gen) if transposed else torch.randn(k, n, generator=gen)
                op = (lambda: torch.matmul(x, w.t())) if transposed else (lambda: torch.matmul(x, w))

                def autocast_op():  # what a Linear under CPU autocast runs: bf16 inputs and output
                    with torch.autocast("cpu", dtype=torch.bfloat16):
                        return op()
                rates = []
                for f in (op, autocast_op):
                    f()  # warm-up
                    times = []
                    for _ in range(args.reps):
                        start = time.perf_counter()
                        f()
                        times.append(time.perf_counter() - start)
                    rates.append(2.0 * m * n * k / statistics.median(times) / 1e9)
                layout = "W[N,K]" if transposed else "W[K,N]"
                print(f"{layout}\t{name}\t{m}\t{n}\t{k}\t{rates[0]:.1f}\t{rates[1]:.1f}")


if __name__ == "__main__":
    main()
