#!/usr/bin/env python3
"""Check a Python/numpy diffusion implementation against the diffusion-oracle test vectors.

Usage:
    python3 vectors/check_numpy.py vectors/                 # check the implementation below
    python3 vectors/check_numpy.py vectors/ --inject-bug prev_timestep   # show what a bug looks like
    python3 vectors/check_numpy.py vectors/ --verbose        # list every failing case

Prints pass/fail per vector family and exits 1 if any applicable case fails (2 on usage errors).

The file has three parts:
  1. a small reference-style numpy implementation (improved-diffusion-like arrays, 0-based
     internally) of the families it covers: schedules, forward, posterior, parameterizations,
     DDPM / DDIM steps and timesteps, KL / decoder and VLB terms: the "implementation under test";
  2. the ADAPTER: one function per vector operation, mapping the vectors' conventions (the papers'
     1-based t, betas given as a list, named inputs) onto the implementation.  To check your own
     code, replace the bodies of the adapter functions (or the whole ADAPTER dict) with calls
     into it;
  3. the runner: loads vectors/*.json, calls the adapter, compares with the float64 tolerance.
A case whose operation is not in ADAPTER counts as "not applicable". Invalid cases pass when the
adapter raises any exception.
"""
import argparse
import glob
import json
import math
import os
import sys

import numpy as np

BUG = None  # set by --inject-bug

# =============================================================================================
# Part 1: the implementation under test (numpy, float64)
# =============================================================================================


class InvalidInput(ValueError):
    pass


def check_betas(betas):
    b = np.asarray(betas, dtype=np.float64)
    if b.ndim != 1 or b.size == 0:
        raise InvalidInput("betas: empty schedule")
    if not np.all(np.isfinite(b)):
        raise InvalidInput("betas: NaN or infinite")
    if np.any(b[:-1] <= 0) or np.any(b[:-1] >= 1) or not (0 < b[-1] <= 1):
        raise InvalidInput("betas: each beta must lie in (0, 1) (beta_T in (0, 1])")
    if BUG == "zero_terminal_snr" and b[-1] == 1:
        b = b.copy()
        b[-1] = 0.999
    return b


class Diffusion:
    """Precomputed schedule arrays, index i = t-1 (improved-diffusion's GaussianDiffusion)."""

    def __init__(self, betas):
        self.betas = check_betas(betas)
        self.T = self.betas.size
        self.alphas = 1.0 - self.betas
        self.alphas_cumprod = np.cumprod(self.alphas)
        self.alphas_cumprod_prev = np.append(1.0, self.alphas_cumprod[:-1])
        self.posterior_variance = self.betas * (1.0 - self.alphas_cumprod_prev) / (1.0 - self.alphas_cumprod)
        if BUG == "t_zero_variance":  # alphas_cumprod[t-2] at t = 1 wraps around to the last entry
            prev = np.array([self.alphas_cumprod[i - 1] for i in range(self.T)])
            self.posterior_variance = self.betas * (1.0 - prev) / (1.0 - self.alphas_cumprod)
        if self.T > 1:
            self.posterior_log_variance_clipped = np.log(np.append(self.posterior_variance[1], self.posterior_variance[1:]))
        else:
            self.posterior_log_variance_clipped = np.log(self.betas)
        if BUG == "log_variance_clip":
            self.posterior_log_variance_clipped = np.log(self.posterior_variance + 1e-20)
        self.coef_x0 = self.betas * np.sqrt(self.alphas_cumprod_prev) / (1.0 - self.alphas_cumprod)
        self.coef_xt = (1.0 - self.alphas_cumprod_prev) * np.sqrt(self.alphas) / (1.0 - self.alphas_cumprod)

    def idx(self, t, lo=1):
        if isinstance(t, bool) or not float(t).is_integer() or not (lo <= t <= self.T):
            raise InvalidInput(f"t = {t}: must be an integer in {{{lo}..{self.T}}}")
        i = int(t) - 1
        return i + 1 if BUG == "off_by_one" else i

    def abar(self, t):
        i = self.idx(t, lo=0)
        return 1.0 if i < 0 else float(self.alphas_cumprod[i])


def vec(x, like=None):
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1 or a.size == 0:
        raise InvalidInput("expected a non-empty vector")
    if not np.all(np.isfinite(a)):
        raise InvalidInput("NaN or infinite input")
    if like is not None and a.shape != np.shape(like):
        raise InvalidInput("shape mismatch")
    return a


def linspace_inclusive(a, b, n):
    out = np.linspace(a, b, n)
    return out


def beta_schedule(name, T, options):
    if isinstance(T, bool) or not float(T).is_integer() or T < 1:
        raise InvalidInput(f"T = {T}")
    T = int(T)
    o = options or {}
    if name == "linear":
        scale = 1000.0 / T if o.get("scaleToT") else 1.0
        if BUG == "linear_endpoint":
            b = np.linspace(scale * o["betaStart"], scale * o["betaEnd"], T + 1)[:-1]
        else:
            b = linspace_inclusive(scale * o["betaStart"], scale * o["betaEnd"], T)
    elif name == "scaled-linear":
        b = linspace_inclusive(math.sqrt(o["betaStart"]), math.sqrt(o["betaEnd"]), T) ** 2
    elif name == "sigmoid":
        r = o["sigmoidRange"]
        b = o["betaStart"] + (o["betaEnd"] - o["betaStart"]) / (1.0 + np.exp(-linspace_inclusive(-r, r, T)))
    elif name == "cosine":
        s = o["s"]
        f = lambda t: np.cos(((t / T) + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
        t = np.arange(1, T + 1, dtype=np.float64)
        b = 1.0 - f(t) / f(t - 1)
        b[-1] = 1.0  # f(T) = cos²(π/2) = 0 exactly
        b = np.minimum(b, o["maxBeta"])
    elif name == "constant":
        b = np.full(T, float(o["beta"]))
    elif name == "constant-gamma":
        g = o["gamma"]
        if not (0 < g < 1):
            raise InvalidInput("gamma must lie in (0, 1)")
        b = np.full(T, 1.0 - g * g)
    else:
        raise InvalidInput(f"unknown schedule {name!r}")
    check_betas(b)
    return b


def rescale_zero_terminal_snr(betas):
    b = check_betas(betas)
    if b.size < 2:
        raise InvalidInput("needs T >= 2")
    s = np.sqrt(np.cumprod(1.0 - b))
    s0, sT = s[0], s[-1]
    s = (s - sT) * s0 / (s0 - sT)
    ab = s ** 2
    out = np.append(1.0 - ab[0], 1.0 - ab[1:] / ab[:-1])
    out[-1] = 1.0
    if BUG == "zero_terminal_snr":
        out[-1] = 0.999
    return out


def x0_eps_from_output(d, xt, t, out, prediction):
    d.idx(t)  # t in {1..T}
    a = d.abar(t)
    ca, cs = math.sqrt(a), math.sqrt(1.0 - a)
    if BUG == "v_conversion":
        ca, cs = cs, ca
    if prediction == "eps":
        if a == 0:
            raise InvalidInput("x0 from eps undefined where alpha_bar = 0")
        return (xt - math.sqrt(1.0 - a) * out) / math.sqrt(a), out
    if prediction == "x0":
        return out, (xt - math.sqrt(a) * out) / math.sqrt(1.0 - a)
    if prediction == "v":
        return ca * xt - cs * out, cs * xt + ca * out
    raise InvalidInput(f"unknown prediction {prediction!r}")


def ddpm_step(d, xt, t, out, prediction="eps", variance="posterior", noise=None, clip=False):
    i = d.idx(t)
    x0, _ = x0_eps_from_output(d, xt, t, out, prediction)
    if clip:
        x0 = np.clip(x0, -1.0, 1.0)
    mean = d.coef_x0[i] * x0 + d.coef_xt[i] * xt
    if variance not in ("beta", "posterior"):
        raise InvalidInput(f"unknown variance {variance!r}")
    if t == 1 and BUG != "noise_at_t1":
        return mean
    logvar = np.log(d.betas[i]) if variance == "beta" else d.posterior_log_variance_clipped[i]
    if t == 1:  # the bug: noise at the last step, with the decoder's (clipped) variance for 'posterior'
        logvar = np.log(d.betas[i]) if variance == "beta" else d.posterior_log_variance_clipped[i]
    z = vec(noise, xt)
    return mean + np.exp(0.5 * logvar) * z


def ddim_timesteps(T, steps, spacing):
    for n in (T, steps):
        if isinstance(n, bool) or not float(n).is_integer() or n < 1:
            raise InvalidInput("T and steps must be positive integers")
    if steps > T:
        raise InvalidInput("steps must not exceed T")
    if spacing == "leading":
        i = (np.arange(steps) * (T // steps))[::-1]
    elif spacing == "trailing":
        i = np.round(T - np.arange(steps) * (T / steps)).astype(np.int64) - 1  # np.round: half to even
    elif spacing == "linspace":
        i = np.round(np.linspace(0, T - 1, steps)).astype(np.int64)[::-1]
    else:
        raise InvalidInput(f"unknown spacing {spacing!r}")
    return (np.asarray(i, dtype=np.int64) + (0 if BUG == "off_by_one" else 1)).tolist()


def ddim_step(d, xt, t, t_prev, out, eta=0.0, noise=None, prediction="eps"):
    d.idx(t)
    if isinstance(t_prev, bool) or not float(t_prev).is_integer() or not (0 <= t_prev < t):
        raise InvalidInput("tPrev must be an integer in {0..t-1}")
    if not (eta >= 0):
        raise InvalidInput("eta must be >= 0")
    x0, eps = x0_eps_from_output(d, xt, t, out, prediction)
    a = d.abar(t)
    if BUG == "prev_timestep":
        ap = d.abar(t - 1)
    elif BUG == "final_alpha" and t_prev == 0:
        ap = float(d.alphas_cumprod[0])
    else:
        ap = d.abar(t_prev)
    sigma2 = eta ** 2 * (1.0 - ap) / (1.0 - a) * (1.0 - a / ap)
    if sigma2 > 1.0 - ap:
        raise InvalidInput("eta inadmissible: sigma^2 > 1 - alpha_bar_prev")
    x = math.sqrt(ap) * x0 + math.sqrt(1.0 - ap - sigma2) * eps
    if sigma2 > 0:
        x = x + math.sqrt(sigma2) * vec(noise, xt)
    return x


def normal_kl(m1, lv1, m2, lv2):
    return 0.5 * (-1.0 + lv2 - lv1 + np.exp(lv1 - lv2) + (m1 - m2) ** 2 * np.exp(-lv2))


def _phi_mass(lo, hi):
    """Φ(hi) - Φ(lo), from the tail that keeps both CDFs small."""
    cdf = lambda z: 0.5 * math.erfc(-z / math.sqrt(2))  # noqa: E731
    sf = lambda z: 0.5 * math.erfc(z / math.sqrt(2))  # noqa: E731
    if lo > 0:
        return sf(lo) - sf(hi)
    if hi < 0:
        return cdf(hi) - cdf(lo)
    return 1.0 - cdf(lo) - sf(hi)


def discretized_gaussian_log_likelihood(x, mean, log_scale):
    half = 1.0 / 255.0
    out = np.empty_like(x)
    for k in range(x.size):
        if not (-1.0 <= x[k] <= 1.0):
            raise InvalidInput("x must lie in [-1, 1]")
        inv = math.exp(-log_scale[k])
        lo = -math.inf if x[k] <= -1 + 1e-9 else (x[k] - half - mean[k]) * inv
        hi = math.inf if x[k] >= 1 - 1e-9 else (x[k] + half - mean[k]) * inv
        out[k] = math.log(_phi_mass(lo, hi))
    return out


def vb_terms_bpd(d, model, x0, t, noise):
    i = d.idx(t)
    a = d.abar(t)
    xt = math.sqrt(a) * x0 + math.sqrt(1.0 - a) * noise
    x0_hat, _ = x0_eps_from_output(d, xt, t, vec(model(xt, t), xt), "eps")
    p_mean = d.coef_x0[i] * x0_hat + d.coef_xt[i] * xt
    lv = d.posterior_log_variance_clipped[i]
    if t == 1:
        nats = -np.sum(discretized_gaussian_log_likelihood(x0, p_mean, np.full_like(x0, 0.5 * lv)))
    else:
        q_mean = d.coef_x0[i] * x0 + d.coef_xt[i] * xt
        nats = np.sum(normal_kl(q_mean, lv, p_mean, lv))
    return float(nats / (x0.size * math.log(2.0)))


# =============================================================================================
# Part 2: the ADAPTER — replace these bodies to check your own implementation.
# Conventions (see the vector files' indexConvention): t is the papers' 1-based step index,
# betas[t-1] = beta_t, alpha_bar_0 = 1; vectors arrive as Python lists of floats; return numbers,
# lists or numpy arrays; raise any exception to reject an input.
# =============================================================================================


def _affine_model(spec):
    scale, shift = spec["scale"], np.asarray(spec["shift"], dtype=np.float64)
    return lambda xt, t: scale * xt + shift


ADAPTER = {
    "betaSchedule": lambda i: {"out": beta_schedule(i["name"], i["T"], i.get("options"))},
    "rescaleZeroTerminalSnr": lambda i: {"out": rescale_zero_terminal_snr(i["betas"])},
    "alphaBar": lambda i: {"out": Diffusion(i["betas"]).abar(i["t"])},
    "posteriorVariance": lambda i: (lambda d: {"out": d.posterior_variance[d.idx(i["t"])]})(Diffusion(i["betas"])),
    "posteriorLogVarianceClipped": lambda i: (lambda d: {"out": d.posterior_log_variance_clipped[d.idx(i["t"])]})(Diffusion(i["betas"])),
    "qSample": lambda i: (lambda d, a: {"out": math.sqrt(a) * vec(i["x0"]) + math.sqrt(1 - a) * vec(i["eps"], i["x0"])})(
        Diffusion(i["betas"]), Diffusion(i["betas"]).abar(i["t"])),
    "qStep": lambda i: (lambda d, k: {"out": np.sqrt(d.alphas[k]) * vec(i["xPrev"]) + np.sqrt(d.betas[k]) * vec(i["eps"], i["xPrev"])})(
        Diffusion(i["betas"]), Diffusion(i["betas"]).idx(i["t"])),
    "qPosterior": lambda i: (lambda d, k: {
        "mean": d.coef_x0[k] * vec(i["x0"]) + d.coef_xt[k] * vec(i["xt"], i["x0"]),
        "variance": d.posterior_variance[k],
        "logVariance": d.posterior_log_variance_clipped[k],
    })(Diffusion(i["betas"]), Diffusion(i["betas"]).idx(i["t"])),
    "predictX0FromEps": lambda i: {"out": x0_eps_from_output(Diffusion(i["betas"]), vec(i["xt"]), i["t"], vec(i["eps"], i["xt"]), "eps")[0]},
    "predictEpsFromX0": lambda i: {"out": x0_eps_from_output(Diffusion(i["betas"]), vec(i["xt"]), i["t"], vec(i["x0"], i["xt"]), "x0")[1]},
    "vFromEpsX0": lambda i: (lambda d, xt, eps: (lambda x0, a: {"out": math.sqrt(a) * eps - math.sqrt(1 - a) * x0})(
        x0_eps_from_output(d, xt, i["t"], eps, "eps")[0], d.abar(i["t"])))(Diffusion(i["betas"]), vec(i["xt"]), vec(i["eps"], i["xt"])),
    "epsFromV": lambda i: {"out": x0_eps_from_output(Diffusion(i["betas"]), vec(i["xt"]), i["t"], vec(i["v"], i["xt"]), "v")[1]},
    "x0FromV": lambda i: {"out": x0_eps_from_output(Diffusion(i["betas"]), vec(i["xt"]), i["t"], vec(i["v"], i["xt"]), "v")[0]},
    "scoreFromEps": lambda i: (lambda d: (d.idx(i["t"]), {"out": -vec(i["eps"], i["xt"]) / math.sqrt(1 - d.abar(i["t"]))})[1])(Diffusion(i["betas"])),
    "ddpmStep": lambda i: {"out": ddpm_step(Diffusion(i["betas"]), vec(i["xt"]), i["t"], vec(i["modelOutput"], i["xt"]), **{
        {"prediction": "prediction", "variance": "variance", "noise": "noise", "clip": "clip"}[k]: v for k, v in i.get("options", {}).items()})},
    "ddimTimesteps": lambda i: {"out": ddim_timesteps(i["T"], i["steps"], i["spacing"])},
    "ddimStep": lambda i: {"out": ddim_step(Diffusion(i["betas"]), vec(i["xt"]), i["t"], i["tPrev"], vec(i["modelOutput"], i["xt"]), **i.get("options", {}))},
    "normalKl": lambda i: {"out": normal_kl(vec(i["mean1"]), vec(i["logVar1"], i["mean1"]), vec(i["mean2"], i["mean1"]), vec(i["logVar2"], i["mean1"]))},
    "discretizedGaussianLogLikelihood": lambda i: {"out": discretized_gaussian_log_likelihood(vec(i["x"]), vec(i["mean"], i["x"]), vec(i["logScale"], i["x"]))},
    "vbTerms": lambda i: {"out": vb_terms_bpd(Diffusion(i["betas"]), _affine_model(i["model"]), vec(i["x0"]), i["t"], vec(i["noise"], i["x0"]))},
}

# =============================================================================================
# Part 3: the runner
# =============================================================================================

SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def decode(v):
    if isinstance(v, str) and v in SPECIAL:
        return SPECIAL[v]
    if isinstance(v, list):
        return [decode(x) for x in v]
    if isinstance(v, dict):
        return {k: decode(x) for k, x in v.items()}
    return v


def compare(actual, expected, tol):
    a = np.atleast_1d(np.asarray(actual, dtype=np.float64))
    e = np.atleast_1d(np.asarray(expected, dtype=np.float64))
    if a.shape != e.shape:
        return f"shape {a.shape}, expected {e.shape}"
    for k in range(e.size):
        if not math.isfinite(e[k]):
            if a[k] != e[k]:
                return f"[{k}]: got {a[k]!r}, expected {e[k]!r}"
        elif not abs(a[k] - e[k]) <= tol:
            return f"[{k}]: got {a[k]!r}, expected {e[k]!r} (error {abs(a[k] - e[k]):.3e} > tolerance {tol:.3e})"
    return None


def run_case(group, case, precision):
    fn = ADAPTER.get(group["op"])
    if fn is None:
        return "n/a", f"no adapter for {group['op']}"
    inputs = decode(case["inputs"])
    if "betas" not in inputs and "betas" in group:
        inputs["betas"] = decode(group["betas"])
    if case["result"] == "invalid":
        try:
            out = fn(inputs)
        except Exception as exc:  # noqa: BLE001 - any rejection passes
            return "pass", f"rejected: {exc}"
        return "fail", f"accepted an invalid input ({case['reason']}): returned {out!r:.120}"
    try:
        out = fn(inputs)
    except Exception as exc:  # noqa: BLE001
        return "fail", f"raised on a valid input: {type(exc).__name__}: {exc}"
    for key, expected in case["expected"].items():
        if key not in out:
            return "fail", f"output {key} missing"
        msg = compare(out[key], decode(expected), case["tolerance"][key][precision])
        if msg:
            return "fail", f"{key}{msg}"
    return "pass", "ok"


BUGS = ["prev_timestep", "final_alpha", "off_by_one", "noise_at_t1", "v_conversion", "t_zero_variance",
        "log_variance_clip", "linear_endpoint", "zero_terminal_snr"]


def main(argv=None):
    global BUG
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("vectors", nargs="?", default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--inject-bug", choices=BUGS, help="run with a deliberate bug to see how failures are reported")
    ap.add_argument("--precision", choices=["float64", "float32"], default="float64")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    BUG = args.inject_bug
    files = sorted(f for f in glob.glob(os.path.join(args.vectors, "*.json")))
    if not files:
        print(f"no vector files in {args.vectors}", file=sys.stderr)
        return 2
    total_fail = 0
    print(f"numpy {np.__version__}; implementation: check_numpy.py{' with bug ' + BUG if BUG else ''}; precision {args.precision}")
    for path in files:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        counts = {"pass": 0, "fail": 0, "n/a": 0}
        failures = []
        for group in data["testGroups"]:
            for case in group["tests"]:
                status, msg = run_case(group, case, args.precision)
                counts[status] += 1
                if status == "fail":
                    failures.append((case["id"], case["flags"], msg))
        total_fail += counts["fail"]
        verdict = "FAIL" if counts["fail"] else ("PASS" if counts["pass"] else "N/A ")
        print(f"{verdict} {data['family']:<18} {counts['pass']:4d} passed {counts['fail']:4d} failed {counts['n/a']:4d} not applicable")
        for cid, flags, msg in failures if args.verbose else failures[:5]:
            print(f"       {cid} [{', '.join(flags)}]: {msg}")
        if failures and not args.verbose and len(failures) > 5:
            print(f"       ... {len(failures) - 5} more (--verbose)")
    print("FAILED" if total_fail else "all applicable vectors passed")
    return 1 if total_fail else 0


if __name__ == "__main__":
    sys.exit(main())
