#!/usr/bin/env python3
"""Native FP32 ceiling for the benchmark (issue 7): numpy's float32 matrix product (BLAS sgemm).

Called by `diffusion-oracle bench` (src/bench/peers.ts) once with the BLAS limited to one thread
(OPENBLAS_NUM_THREADS=1 etc. in the environment) and once unlimited; prints one JSON object:
  {"numpy": version, "blas": name or null, "n": n, "samples_ms": [...], "warmup": w}
"""
import argparse
import json
import sys
import time

import numpy as np


def blas_name():
    try:
        cfg = np.show_config(mode="dicts")
        return cfg.get("Build Dependencies", {}).get("blas", {}).get("name")
    except Exception:
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2048)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    a = rng.standard_normal((args.n, args.n), dtype=np.float32)
    b = rng.standard_normal((args.n, args.n), dtype=np.float32)
    for _ in range(args.warmup):
        a @ b
    out = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        a @ b
        out.append((time.perf_counter() - t0) * 1000.0)
    json.dump({"numpy": np.__version__, "blas": blas_name(), "n": args.n, "samples_ms": out, "warmup": args.warmup}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
