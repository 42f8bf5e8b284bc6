#!/usr/bin/env python3
"""Peer benchmark (issue 7, workload 5): the U-Net of src/train/unet.ts and its training step in
PyTorch on the CPU, with the same shapes and batch sizes as the TensorFlow.js benchmark.

Called by `diffusion-oracle bench` (src/bench/peers.ts) when `import torch` works; it prints one
JSON object on stdout:
  {"torch": version, "params": count, "results": [{"name", "threads", "batch", "samples_ms": [...], "warmup"}]}
Times are milliseconds per call, one per timed repetition, after `warmup` untimed calls.

The model (NCHW here, NHWC in tfjs; the arithmetic is the same):
  time:  sinusoidal embedding (dim 64; freq_k = exp(-ln(10000)·k/(half-1)), [sin, cos])
         -> Linear(64, 256) -> SiLU -> Linear(256, 256)
  stem:  3x3 conv 1 -> 32
  down:  block 32->32 @28, skip, avgpool 2; block 32->64 @14, skip, avgpool 2; block 64->64 @7
  up:    nearest 2x, concat skip, block 128->64 @14; nearest 2x, concat skip, block 96->32 @28
  head:  GroupNorm(8) -> SiLU -> 3x3 conv 32 -> 1
  block: h = conv3x3(SiLU(GN(x))); h += Linear(SiLU(temb)) per channel;
         h = conv3x3(SiLU(GN(h))); out = h + (x or 1x1 conv of x)
The parameter count is printed so the caller can check it equals the tfjs model's.
Training step: x_t = sqrt(abar_t) x0 + sqrt(1-abar_t) eps (linear schedule, T = 1000), loss =
mean squared error of the eps prediction, backward, global-norm clipping at 1, Adam (lr 1e-3),
EMA (0.999) of the weights - the steps of src/train/train.ts.
"""
import argparse
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def timestep_embedding(t, dim):
    half = dim // 2
    k = torch.arange(half, dtype=torch.float32)
    freqs = torch.exp(-math.log(10000.0) * k / (half - 1))
    args = t.float()[:, None] * freqs[None, :]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class Block(nn.Module):
    def __init__(self, cin, cout, tdim, groups):
        super().__init__()
        self.gn1 = nn.GroupNorm(groups, cin, eps=1e-5)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = nn.Linear(tdim, cout)
        self.gn2 = nn.GroupNorm(groups, cout, eps=1e-5)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.gn1(x)))
        h = h + self.temb(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.gn2(h)))
        return (self.skip(x) if self.skip is not None else x) + h


class UNet(nn.Module):
    def __init__(self, channels=(32, 64, 64), groups=8, temb_dim=64, thid=256, cin=1):
        super().__init__()
        self.temb_dim = temb_dim
        self.dense1 = nn.Linear(temb_dim, thid)
        self.dense2 = nn.Linear(thid, thid)
        self.stem = nn.Conv2d(cin, channels[0], 3, padding=1)
        self.down = nn.ModuleList()
        cur = channels[0]
        for ch in channels:
            self.down.append(Block(cur, ch, thid, groups))
            cur = ch
        self.up = nn.ModuleList()
        for l in range(len(channels) - 2, -1, -1):
            self.up.append(Block(cur + channels[l], channels[l], thid, groups))
            cur = channels[l]
        self.head_gn = nn.GroupNorm(groups, cur, eps=1e-5)
        self.head = nn.Conv2d(cur, cin, 3, padding=1)

    def forward(self, x, t):
        temb = self.dense2(F.silu(self.dense1(timestep_embedding(t, self.temb_dim))))
        h = self.stem(x)
        skips = []
        L = len(self.down)
        for l, blk in enumerate(self.down):
            h = blk(h, temb)
            if l < L - 1:
                skips.append(h)
                h = F.avg_pool2d(h, 2)
        for blk in self.up:
            h = torch.cat([F.interpolate(h, scale_factor=2, mode="nearest"), skips.pop()], dim=1)
            h = blk(h, temb)
        return self.head(F.silu(self.head_gn(h)))


def timed(fn, warmup, repeats):
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000.0)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch-forward", type=int, default=64)
    ap.add_argument("--batch-train", type=int, default=64)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", default="1,2")
    args = ap.parse_args()

    torch.manual_seed(0)
    model = UNet()
    params = sum(p.numel() for p in model.parameters())
    ema = [p.detach().clone() for p in model.parameters()]
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    betas = torch.linspace(1e-4, 0.02, 1000, dtype=torch.float64)
    abar = torch.cumprod(1 - betas, 0).float()
    results = []
    for threads in [int(v) for v in args.threads.split(",") if v]:
        torch.set_num_threads(threads)
        B = args.batch_forward
        x = torch.randn(B, 1, 28, 28)
        t = torch.randint(1, 1001, (B,))

        def forward():
            with torch.no_grad():
                model(x, t)

        results.append({"name": "unet-forward", "threads": threads, "batch": B, "warmup": args.warmup,
                        "samples_ms": timed(forward, args.warmup, args.repeats)})
        B = args.batch_train
        x0 = torch.randn(B, 1, 28, 28)

        def step():
            tt = torch.randint(1, 1001, (B,))
            eps = torch.randn_like(x0)
            a = abar[tt - 1][:, None, None, None]
            xt = a.sqrt() * x0 + (1 - a).sqrt() * eps
            loss = F.mse_loss(model(xt, tt), eps)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            with torch.no_grad():
                for e, p in zip(ema, model.parameters()):
                    e.mul_(0.999).add_(p.detach(), alpha=0.001)

        results.append({"name": "unet-train-step", "threads": threads, "batch": B, "warmup": args.warmup,
                        "samples_ms": timed(step, args.warmup, args.repeats)})
    json.dump({"torch": torch.__version__, "params": params, "results": results}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
