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
     DDPM / DDIM steps and timesteps, KL / decoder and VLB terms, and the score family (Gaussian-
     mixture log density / score / Tweedie posterior mean, VP / VE / discrete-VP / InDI processes,
     one-step samplers: Langevin, annealed Langevin, Euler-Maruyama, VP / VE reverse SDE,
     predictor-corrector, PF-ODE Euler / Heun / RK4, DPM-Solver-1/2/3 and ++(2M), InDI, and
     classifier / classifier-free guidance, explicit / denoising score-matching losses): the
     "implementation under test";
  2. the ADAPTER: one function per vector operation, mapping the vectors' conventions (the papers'
     1-based t, betas given as a list, named inputs) onto the implementation.  To check your own
     code, replace the bodies of the adapter functions (or the whole ADAPTER dict) with calls
     into it;
  3. the runner: loads vectors/*.json, calls the adapter, compares with the float64 tolerance.
A case whose operation is not in ADAPTER counts as "not applicable". Invalid cases pass when the
adapter raises any exception. Each family line also shows the largest |error|/tolerance among its
passing cases (how close to the tolerances the implementation runs).

Score-family vectors give the model as data: {'kind': 'given', output, value} is the model's output
at the step's input (x, t) (the only point a one-evaluation step may call it at), {'kind': 'mixture',
output, mixture} the exact oracle of a Gaussian mixture (evaluated here by the harness's own oracle
with no injected bug: the model is a given fixture, not part of the implementation under test).
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


# ---------------------------------------------------------------------------------------------
# Score family (catalog E3-E9, G): Gaussian-mixture oracles, continuous-time processes, one-step
# samplers and guidance, written from the formulas (see the vector files' headers), float64.
# ---------------------------------------------------------------------------------------------


def _finite(name, v):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise InvalidInput(f"{name} = {v!r}: must be a finite number")
    return float(v)


class Mixture:
    """x_0 ~ sum_k w_k N(mu_k, S_k); every covariance kept as a full d x d matrix."""

    def __init__(self, spec):
        w = spec.get("weights")
        if not isinstance(w, list) or not w:
            raise InvalidInput("weights: must be a non-empty list")
        w = np.array([_finite("weights[k]", v) for v in w])
        if np.any(w <= 0):
            raise InvalidInput("weights must be > 0")
        if abs(w.sum() - 1.0) > 1e-12 * w.size:
            raise InvalidInput(f"weights must sum to 1 (sum {w.sum()!r})")
        if BUG == "mixture_weights":
            w = np.full(w.size, 1.0 / w.size)
        means = spec.get("means")
        if not isinstance(means, list) or len(means) != w.size:
            raise InvalidInput("means: one per weight")
        self.means = np.array([vec([m] if not isinstance(m, list) else m) for m in means])
        if self.means.ndim != 2:
            raise InvalidInput("means: equal lengths")
        self.K, self.d = self.means.shape
        self.w = w
        keys = [k for k in ("variances", "stds", "covariances") if spec.get(k) is not None]
        if len(keys) != 1:
            raise InvalidInput("give exactly one of variances, stds, covariances")
        lst = spec[keys[0]]
        if not isinstance(lst, list) or len(lst) != self.K:
            raise InvalidInput(f"{keys[0]}: one per weight")
        covs = []
        for c in lst:
            if keys[0] == "covariances":
                m = np.asarray(c, dtype=np.float64)
                if m.shape != (self.d, self.d) or not np.all(np.isfinite(m)):
                    raise InvalidInput("covariance: d x d finite matrix")
                if np.max(np.abs(m - m.T)) > 1e-12 * np.max(np.abs(m)):
                    raise InvalidInput("covariance not symmetric")
                try:
                    np.linalg.cholesky(m)
                except np.linalg.LinAlgError as exc:
                    raise InvalidInput("covariance not positive definite") from exc
            else:
                v = np.full(self.d, float(c)) if isinstance(c, (int, float)) else vec(c)
                if v.shape != (self.d,) or np.any(~np.isfinite(v)) or np.any(v <= 0):
                    raise InvalidInput("variances must be finite and > 0")
                m = np.diag(v * v if keys[0] == "stds" else v)
            covs.append(m)
        self.covs = covs

    def _eval(self, alpha, sigma, x):
        alpha, sigma = _finite("alpha", alpha), _finite("sigma", sigma)
        if alpha < 0 or sigma < 0 or (alpha == 0 and sigma == 0):
            raise InvalidInput("need alpha >= 0, sigma >= 0, not both 0")
        x = vec(x)
        if x.shape != (self.d,):
            raise InvalidInput("x: shape mismatch")
        a2 = alpha if BUG == "noisy_marginal" else alpha * alpha
        logc, ws = np.empty(self.K), []
        for k in range(self.K):
            C = a2 * self.covs[k] + sigma * sigma * np.eye(self.d)
            L = np.linalg.cholesky(C)
            r = x - alpha * self.means[k]
            y = np.linalg.solve(L, r)
            ws.append(np.linalg.solve(L.T, y))
            logc[k] = math.log(self.w[k]) - 0.5 * (self.d * math.log(2 * math.pi) + 2 * np.sum(np.log(np.diag(L))) + y @ y)
        mx = logc.max()
        logp = mx + math.log(np.sum(np.exp(logc - mx)))
        return logp, np.exp(logc - logp), ws, alpha, sigma, x

    def log_pdf(self, alpha, sigma, x):
        return self._eval(alpha, sigma, x)[0]

    def score(self, alpha, sigma, x):
        _, r, ws, *_ = self._eval(alpha, sigma, x)
        s = -sum(r[k] * ws[k] for k in range(self.K))
        return -s if BUG == "score_sign" else s

    def posterior_mean(self, alpha, sigma, x):
        _, r, ws, alpha, sigma, x = self._eval(alpha, sigma, x)
        if BUG == "tweedie_scale" and alpha > 0:
            return (x + sigma * self.score(alpha, sigma, x)) / alpha
        return sum(r[k] * (self.means[k] + alpha * self.covs[k] @ ws[k]) for k in range(self.K))


def _softplus(v):
    return v + math.log1p(math.exp(-v)) if v > 0 else math.log1p(math.exp(v))


class Process:
    """x_t = alpha(t) x_0 + sigma(t) eps with SDE coefficients f, g^2 and lambda = log(alpha/sigma)."""

    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise InvalidInput("process: must be an object")
        self.kind = spec.get("kind")
        o = spec.get("options") or {}
        if self.kind == "vp":
            self.b0, self.b1 = _finite("betaMin", o.get("betaMin", 0.1)), _finite("betaMax", o.get("betaMax", 20))
            if not (0 < self.b0 <= self.b1):
                raise InvalidInput("need 0 < betaMin <= betaMax")
            self.tmax = 1.0
        elif self.kind == "ve":
            self.s0, self.s1 = _finite("sigmaMin", o.get("sigmaMin", 0.01)), _finite("sigmaMax", o.get("sigmaMax", 50))
            if not (0 < self.s0 < self.s1):
                raise InvalidInput("need 0 < sigmaMin < sigmaMax")
            self.tmax = 1.0
        elif self.kind in ("indi", "flow"):
            self.b, self.sig, self.c = _finite("noise", o.get("noise", 1)), o.get("signal", 0), _finite("extraNoise", o.get("extraNoise", 0))
            if not (self.b > 0) or self.sig not in (0, 1) or not (0 <= self.c <= 2 * self.b):
                raise InvalidInput("indi: noise > 0, signal in {0, 1}, 0 <= extraNoise <= 2 noise")
            self.tmax = 1.0
        elif self.kind == "flow":
            # rectified flow x_t = (1-t)x_0 + t eps: InDI's interpolation with noise 1, no signal, no extra noise
            self.b, self.sig, self.c = 1.0, 0, 0.0
            self.tmax = 1.0
        elif self.kind == "discrete-vp":
            b = check_betas(spec.get("betas"))
            self.la = np.append(0.0, np.cumsum(np.log1p(-b)))
            if not math.isfinite(self.la[-1]):
                raise InvalidInput("zero terminal SNR: no continuous process")
            self.T = b.size
            self.tmax = float(self.T)
        else:
            raise InvalidInput(f"unknown process kind {self.kind!r}")

    def check(self, t):
        t = _finite("t", t)
        if not (0 <= t <= self.tmax):
            raise InvalidInput(f"t = {t} outside [0, {self.tmax}]")
        return t

    def _logab(self, t):
        if self.kind == "vp":
            return -(self.b0 * t + 0.5 * (self.b1 - self.b0) * t * t)
        i = min(int(math.floor(t)), self.T - 1)
        return self.la[i] + (t - i) * (self.la[i + 1] - self.la[i])

    def alpha(self, t):
        t = self.check(t)
        if self.kind == "ve":
            return 1.0
        if self.kind in ("indi", "flow"):
            return 1 - t + self.sig * t
        return math.exp(0.5 * self._logab(t))

    def sigma(self, t):
        t = self.check(t)
        if self.kind == "ve":
            return self.s0 * (self.s1 / self.s0) ** t
        if self.kind in ("indi", "flow"):
            return t * math.sqrt(self.b ** 2 + self.c ** 2 * (1 - t) ** 2)
        return math.sqrt(-math.expm1(self._logab(t)))

    def lam(self, t):
        t = self.check(t)
        if self.kind in ("vp", "discrete-vp"):
            la = self._logab(t)
            return 0.5 * (la - math.log(-math.expm1(la))) if la < 0 else math.inf
        if self.kind == "ve":
            return -math.log(self.sigma(t))
        return math.log(self.alpha(t)) - math.log(self.sigma(t)) if t > 0 else math.inf

    def f(self, t):
        t = self.check(t)
        if self.kind == "vp":
            return -0.5 * (self.b0 + t * (self.b1 - self.b0))
        if self.kind == "ve":
            return 0.0
        if self.kind in ("indi", "flow"):
            return (self.sig - 1) / self.alpha(t)
        i = min(int(math.floor(t)), self.T - 1)
        return 0.5 * (self.la[i + 1] - self.la[i])

    def g2(self, t):
        t = self.check(t)
        if self.kind == "vp":
            return self.b0 + t * (self.b1 - self.b0)
        if self.kind == "ve":
            return 2 * self.sigma(t) ** 2 * math.log(self.s1 / self.s0)
        if self.kind in ("indi", "flow"):
            return 2 * t * (self.b ** 2 + self.c ** 2 * (1 - t) * (1 - 2 * t)) - 2 * self.f(t) * self.sigma(t) ** 2
        return -2 * self.f(t)

    def t_of_lambda(self, lam):
        if self.kind == "vp":
            L = _softplus(-2 * lam)
            return min(2 * L / (self.b0 + math.sqrt(self.b0 ** 2 + 2 * (self.b1 - self.b0) * L)), 1.0)
        if self.kind == "ve":
            return min(max((-lam - math.log(self.s0)) / math.log(self.s1 / self.s0), 0.0), 1.0)
        if self.kind == "discrete-vp":
            target = -_softplus(-2 * lam)
            lo = int(np.searchsorted(-self.la, -target, side="right")) - 1
            lo = min(max(lo, 0), self.T - 1)
            return lo + (target - self.la[lo]) / (self.la[lo + 1] - self.la[lo])
        lo, hi = 0.0, 1.0
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if self.lam(mid) > lam else (lo, mid)
        return 0.5 * (lo + hi)


OUTPUTS = ("eps", "x0", "v", "score", "flow")


class Model:
    """A model (output kind + function of (x, t)) on a process, with the D1-D3 conversions."""

    def __init__(self, proc, output, fn):
        if output not in OUTPUTS:
            raise InvalidInput(f"unknown model output {output!r}")
        self.p, self.output, self.fn = proc, output, fn

    def eps(self, x, t):
        o, a, s = self.fn(x, t), self.p.alpha(t), self.p.sigma(t)
        if self.output == "eps":
            return o
        if self.output == "score":
            return (s if BUG == "score_sign" else -s) * o
        if self.output == "x0":
            if not s > 0:
                raise InvalidInput("eps undefined at sigma = 0")
            return (x - a * o) / s
        if self.output == "flow":
            da, ds = rates(self.p, t)
            return (a * o - da * x) / (a * ds - s * da)
        return (a * o + s * x) / (a * a + s * s)

    def score(self, x, t):
        if self.output == "score":
            s = self.fn(x, t)
        else:
            sg = self.p.sigma(t)
            if not sg > 0:
                raise InvalidInput("score undefined at sigma = 0")
            s = -self.eps(x, t) / sg
        return -s if BUG == "score_sign" else s

    def x0(self, x, t):
        a, s = self.p.alpha(t), self.p.sigma(t)
        if self.output == "x0":
            return self.fn(x, t)
        if self.output == "v":
            return (a * x - s * self.fn(x, t)) / (a * a + s * s)
        if self.output == "flow":
            da, ds = rates(self.p, t)
            return (ds * x - s * self.fn(x, t)) / (a * ds - s * da)
        if not a > 0:
            raise InvalidInput("x0 undefined at alpha = 0")
        if self.output == "score":
            return (x + (s if BUG == "tweedie_scale" else s * s) * self.fn(x, t)) / a
        return (x - s * self.eps(x, t)) / a


def rates(p, t):
    """(d alpha/dt, d sigma/dt): exact (-1, 1) for the flow; else alpha' = f alpha, sigma' = (g2 + 2 f sigma^2)/(2 sigma)."""
    if p.kind == "flow":
        return -1.0, 1.0
    a, s, f = p.alpha(t), p.sigma(t), p.f(t)
    if not s > 0:
        raise InvalidInput("sigma' needs sigma > 0")
    return f * a, (p.g2(t) + 2 * f * s * s) / (2 * s)


def mixture_model(mix, proc, output):
    """The exact oracle: E[x_0|x_t] from the component posteriors, converted to the output kind."""
    if output not in OUTPUTS:
        raise InvalidInput(f"unknown model output {output!r}")

    def fn(x, t):
        a, s = proc.alpha(t), proc.sigma(t)
        if output == "score":
            return mix.score(a, s, x)
        x0 = mix.posterior_mean(a, s, x)
        if output == "x0":
            return x0
        if not s > 0:
            raise InvalidInput("eps and v undefined at sigma = 0")
        e = -s * mix.score(a, s, x) if (BUG == "score_sign" and output == "eps") else (x - a * x0) / s
        if output == "flow":
            da, ds = rates(proc, t)
            return da * x0 + ds * e
        return e if output == "eps" else a * e - s * x0
    return Model(proc, output, fn)


def check_grid(grid, proc, decreasing=True, min_len=2):
    g = [_finite("timeGrid[i]", v) for v in grid]
    if len(g) < min_len:
        raise InvalidInput(f"time grid needs at least {min_len} times")
    for t in g:
        proc.check(t)
    d = np.diff(g)
    if d.size and not (np.all(d < 0) or (not decreasing and np.all(d > 0))):
        raise InvalidInput("time grid must be strictly monotone (decreasing for sampling)")
    return g


def _langevin(model, x, grid, o, noise, anneal):
    levels = check_grid(grid, model.p, True, 1)
    tau = _finite("stepSize", o.get("stepSize"))
    M = o.get("stepsPerLevel", 1)
    if not tau > 0 or not isinstance(M, int) or M < 1:
        raise InvalidInput("need stepSize > 0 and an integer stepsPerLevel >= 1")
    sL = model.p.sigma(levels[-1])
    for t in levels:
        ti = tau * model.p.sigma(t) ** 2 / sL ** 2 if anneal else tau
        for _ in range(M):
            k = 1.0 if BUG == "langevin_noise_scale" else 2.0
            x = x + ti * model.score(x, t) + math.sqrt(k * ti) * noise()
    return x


def _euler_maruyama(model, x, grid, o, noise):
    g = check_grid(grid, model.p)
    for i in range(len(g) - 1):
        t, dt = g[i], g[i + 1] - g[i]
        drift = model.p.f(t) * x - model.p.g2(t) * model.score(x, t)
        x = x + drift * dt
        if not (i == len(g) - 2 and o.get("denoiseLastStep")):
            x = x + math.sqrt(model.p.g2(t)) * math.sqrt(abs(dt)) * noise()
    return x


def _vp_beta(p, t, tn):
    return -math.expm1(2 * math.log(p.alpha(t) / p.alpha(tn)))


def _vp_reverse(model, x, t, tn, z):
    if model.p.kind not in ("vp", "discrete-vp"):
        raise InvalidInput("vp-reverse-sde needs a VP process")
    beta = _vp_beta(model.p, t, tn)
    c = 0.5 * beta if BUG == "vp_sde_drift" else beta
    return (x + c * model.score(x, t)) / math.sqrt(1 - beta) + math.sqrt(beta) * z


def _ve_reverse(model, x, t, tn, z):
    if model.p.kind != "ve":
        raise InvalidInput("ve-reverse-sde needs a VE process")
    s, sn = model.p.sigma(t), model.p.sigma(tn)
    dv = s - sn if BUG == "ve_sde_increment" else s * s - sn * sn
    return x + dv * model.score(x, t) + math.sqrt(dv) * z


def _reverse(step):
    def run(model, x, grid, o, noise):
        g = check_grid(grid, model.p)
        for i in range(len(g) - 1):
            x = step(model, x, g[i], g[i + 1], noise())
        return x
    return run


def _pc(model, x, grid, o, noise):
    if model.p.kind not in ("vp", "discrete-vp", "ve"):
        raise InvalidInput("predictor-corrector needs a VP or VE process")
    g = check_grid(grid, model.p)
    M = o.get("correctorSteps", 1)
    snr = _finite("snr", o.get("snr", 0.16))
    if not isinstance(M, int) or M < 0 or not snr > 0:
        raise InvalidInput("need an integer correctorSteps >= 0 and snr > 0")
    ve = model.p.kind == "ve"
    for i in range(len(g) - 1):
        t, tn = g[i], g[i + 1]
        beta = 0.0 if ve else _vp_beta(model.p, t, tn)
        x = (_ve_reverse if ve else _vp_reverse)(model, x, t, tn, noise())
        for _ in range(M):
            s = model.score(x, tn)
            z = noise()
            if o.get("stepSize") is not None:
                eps = o["stepSize"]
            else:
                q = snr * np.linalg.norm(z) / np.linalg.norm(s)
                eps = 2 * (1.0 if ve else 1 - beta) * q * q
            x = x + eps * s + math.sqrt(2 * eps) * z
    return x


def _ode(kind):
    def run(model, x, grid, o, noise):
        g = check_grid(grid, model.p, decreasing=False)
        F = lambda y, t: model.p.f(t) * y - 0.5 * model.p.g2(t) * model.score(y, t)  # noqa: E731
        for i in range(len(g) - 1):
            t, h = g[i], g[i + 1] - g[i]
            k1 = F(x, t)
            if kind == "euler" or (kind == "heun" and BUG == "heun_correction"):
                x = x + h * k1
            elif kind == "heun":
                x = x + h / 2 * (k1 + F(x + h * k1, t + h))
            else:
                k2 = F(x + h / 2 * k1, t + h / 2)
                k3 = F(x + h / 2 * k2, t + h / 2)
                k4 = F(x + h * k3, t + h)
                w = (0.25, 0.25, 0.25, 0.25) if BUG == "rk4_weights" else (1 / 6, 1 / 3, 1 / 3, 1 / 6)
                x = x + h * (w[0] * k1 + w[1] * k2 + w[2] * k3 + w[3] * k4)
        return x
    return run


def _dpm(order):
    def run(model, x, grid, o, noise):
        p = model.p
        g = check_grid(grid, p, decreasing=False)
        for i in range(len(g) - 1):
            s, t = g[i], g[i + 1]
            ls, lt = p.lam(s), p.lam(t)
            if not (math.isfinite(ls) and math.isfinite(lt)):
                raise InvalidInput("lambda infinite: DPM-Solver needs alpha > 0 and sigma > 0")
            h = ls - lt if BUG == "dpm_lambda_direction" else lt - ls
            es = model.eps(x, s)
            base = p.alpha(t) / p.alpha(s) * x - p.sigma(t) * math.expm1(h) * es
            if order == 1:
                x = base
                continue
            r1 = 0.5 if order == 2 else 1 / 3
            s1 = p.t_of_lambda(ls + r1 * (lt - ls))
            u1 = p.alpha(s1) / p.alpha(s) * x - p.sigma(s1) * math.expm1(r1 * h) * es
            d1 = model.eps(u1, s1) - es
            if order == 2:
                x = base - p.sigma(t) / (2 * r1) * math.expm1(h) * d1
                continue
            r2 = 2 / 3
            phi = lambda v: math.expm1(v) / v - 1  # noqa: E731
            s2 = p.t_of_lambda(ls + r2 * (lt - ls))
            u2 = p.alpha(s2) / p.alpha(s) * x - p.sigma(s2) * math.expm1(r2 * h) * es - p.sigma(s2) * r2 / r1 * phi(r2 * h) * d1
            d2 = model.eps(u2, s2) - es
            x = base - p.sigma(t) / r2 * phi(h) * d2
        return x
    return run


def _dpmpp2m(model, x, grid, o, noise):
    p = model.p
    g = check_grid(grid, p, decreasing=False)
    prev, prev_h = None, 0.0
    for i in range(len(g) - 1):
        s, t = g[i], g[i + 1]
        h = p.lam(t) - p.lam(s)
        d0 = model.x0(x, s)
        D = d0 if prev is None else (1 + 1 / (2 * prev_h / h)) * d0 - 1 / (2 * prev_h / h) * prev
        x = p.sigma(t) / p.sigma(s) * x - p.alpha(t) * math.expm1(-h) * D
        prev, prev_h = d0, h
    return x


def _indi(model, x, grid, o, noise):
    if model.p.kind != "indi":
        raise InvalidInput("indi needs an InDI process")
    g = check_grid(grid, model.p)
    c = model.p.c
    stochastic = o.get("stochastic", c > 0)
    if c > 0 and not stochastic:
        raise InvalidInput("extra noise c > 0 needs the stochastic step")
    se = lambda t: c * (1 - t)  # noqa: E731
    for i in range(len(g) - 1):
        t, tn = g[i], g[i + 1]
        d = model.x0(x, t)
        x = tn / t * x + (1 - tn / t) * d
        if stochastic:
            k = math.sqrt(tn) if BUG == "indi_extra_noise" else tn
            x = x + k * math.sqrt(se(tn) ** 2 - se(t) ** 2) * noise()
    return x


# ---- issue 15: multistep exponential integrators, PNDM/PLMS, rectified flow ----------------


def phi(k, z):
    """phi_k(z) = sum_j z^j/(j+k)!: series for |z| < 1, else the recurrence from expm1(z)/z."""
    if abs(z) < 1:
        term = 1.0 / math.factorial(k)
        tot = term
        for j in range(1, 40):
            term *= z / (j + k)
            tot += term
        return tot
    v = math.expm1(z) / z
    for j in range(2, k + 1):
        v = (v - 1.0 / math.factorial(j - 1)) / z
    return v


def _frame(p, pred, s, t):
    ls, lt = p.lam(s), p.lam(t)
    if not (math.isfinite(ls) and math.isfinite(lt)):
        raise InvalidInput("lambda infinite: the exponential integrators need alpha > 0 and sigma > 0")
    h = lt - ls
    if pred == "noise":
        return p.alpha(t) / p.alpha(s), -p.sigma(t), h, h
    return p.sigma(t) / p.sigma(s), p.alpha(t), h, -h


def _taylor_w(p, pred, s, t, times, solver_type):
    base, scale, h, z = _frame(p, pred, s, t)
    q = len(times)
    off = np.array([(p.lam(u) - p.lam(s)) / h for u in times])
    c = [scale * h * phi(n + 1, z) for n in range(q)]
    if q == 2 and solver_type == "dpmsolver":
        c[1] = 0.5 * scale * h * phi(1, z)
    V = np.vander(off, q, increasing=True)  # V[j, n] = off_j^n
    W = np.linalg.inv(V)  # e = W m: W[n, j]
    return base, [sum(c[n] * math.factorial(n) * W[n, j] for n in range(q)) for j in range(q)]


def _unipc_w(p, pred, s, t, times, variant, corrector):
    base, scale, h, z = _frame(p, pred, s, t)
    off = [(p.lam(u) - p.lam(s)) / h for u in times]
    rs = off[1:] + ([1.0] if corrector else [])
    B = h if variant == "bh1" else (h / z) * math.expm1(z)
    K = len(rs)
    w = [0.0] * (len(off) + (1 if corrector else 0))
    w[0] = scale * h * phi(1, z)
    if K == 0:
        return base, w
    if K == 1:
        a = [0.5]
    else:
        R = np.array([[r ** n for r in rs] for n in range(K)])
        g = np.array([math.factorial(n + 1) * h * phi(n + 2, z) / B for n in range(K)])
        a = list(np.linalg.solve(R, g))
    for m, r in enumerate(rs):
        cm = scale * B * a[m] / r
        w[m + 1] += cm
        w[0] -= cm
    return base, w


def _deis_w(p, s, t, times):
    q = len(times)
    rho = lambda u: p.sigma(u) / p.alpha(u)  # noqa: E731
    at = p.alpha(t)
    base = at / p.alpha(s)
    if q == 1:
        return base, [at * (rho(t) - rho(s))]
    nodes, weights = np.polynomial.legendre.leggauss(16)
    mid, half = 0.5 * (s + t), 0.5 * (t - s)

    def ell(j, u):
        return np.prod([(u - times[m]) / (times[j] - times[m]) for m in range(q) if m != j])

    def dell(j, u):
        tot = 0.0
        for k in range(q):
            if k == j:
                continue
            v = 1.0 / (times[j] - times[k])
            for m in range(q):
                if m not in (j, k):
                    v *= (u - times[m]) / (times[j] - times[m])
            tot += v
        return tot
    w = []
    for j in range(q):
        integral = half * sum(wk * dell(j, mid + half * xk) * rho(mid + half * xk) for xk, wk in zip(nodes, weights))
        w.append(at * (ell(j, t) * rho(t) - ell(j, s) * rho(s) - integral))
    return base, w


def _multistep(kind, default_order, pred=None, variant=None):
    """DPM-Solver/++ multistep ('dpm'), UniPC ('unipc', corrector with the next output), DEIS tAB ('deis')."""
    def run(model, x, grid, o, noise):
        p = model.p
        g = check_grid(grid, p, decreasing=False)
        order = o.get("order", default_order)
        if not (isinstance(order, int) and 1 <= order <= 3):
            raise InvalidInput("order must be 1, 2 or 3")
        lof = o.get("lowerOrderFinal", True)
        st = o.get("solverType", "dpmsolver")
        pr = o.get("prediction", pred)
        if pr not in ("noise", "data") or st not in ("dpmsolver", "taylor"):
            raise InvalidInput("prediction must be noise|data, solverType dpmsolver|taylor")
        use_corr = kind == "unipc" and o.get("corrector", True)
        N = len(g) - 1
        hist_t, hist_m = [], []
        prev = None
        for i in range(N):
            s, t = g[i], g[i + 1]
            m = model.x0(x, s) if pr == "data" else model.eps(x, s)
            if prev is not None and use_corr:
                xs, ps, pq = prev
                base, w = _unipc_w(p, pr, ps, s, hist_t[:pq], variant, True)
                x = base * xs + sum(wj * mj for wj, mj in zip(w, hist_m[:pq] + [m]))
            hist_t.insert(0, s)
            hist_m.insert(0, m)
            del hist_t[3:], hist_m[3:]
            q = min(order, i + 1)
            if BUG == "multistep_warmup" and kind == "dpm" and pr == "data" and order == 3:
                q = min(order, i + 2) if i == 0 else q
            if lof and not (BUG == "lower_order_final" and kind == "dpm" and pr == "data" and order == 3):
                q = min(q, N - i)
            if kind == "deis":
                base, w = _deis_w(p, s, t, hist_t[:q])
            elif kind == "unipc":
                base, w = _unipc_w(p, pr, s, t, hist_t[:q], variant, False)
            else:
                ht, hm = hist_t[:q], hist_m[:q]
                if BUG == "multistep_warmup" and len(ht) < q:  # a zero-initialised entry one lambda-step earlier
                    ht = ht + [p.t_of_lambda(2 * p.lam(g[0]) - p.lam(g[1]))]
                    hm = hm + [np.zeros_like(x)]
                base, w = _taylor_w(p, pr, s, t, ht, st)
                prev = (x, s, q)
                x = base * x + sum(wj * mj for wj, mj in zip(w, hm))
                continue
            prev = (x, s, q)
            x = base * x + sum(wj * mj for wj, mj in zip(w, hist_m[:q]))
        return x
    return run


def _transfer(p, x, e, t, tn):
    a = p.alpha(t)
    if not a > 0:
        raise InvalidInput("the PNDM transfer needs alpha > 0")
    an = p.alpha(tn)
    return an / a * x + (p.sigma(tn) - an * p.sigma(t) / a) * e


PLMS = {1: [1.0], 2: [1.5, -0.5], 3: [23 / 12, -16 / 12, 5 / 12], 4: [55 / 24, -59 / 24, 37 / 24, -9 / 24]}


def _pndm(prk):
    def run(model, x, grid, o, noise):
        p = model.p
        g = check_grid(grid, p)
        hist = []
        raw = BUG == "pndm_raw_v" and prk

        def to_eps(out, xx, t):
            return Model(p, model.output, lambda *_: out).eps(xx, t)
        for i in range(len(g) - 1):
            t, tn = g[i], g[i + 1]
            if raw:
                r = model.fn(x, t)
                hist.insert(0, r)
                e0 = to_eps(r, x, t)
            else:
                e0 = model.eps(x, t)
                hist.insert(0, e0)
            del hist[4:]
            if prk and i < 3:
                tm = 0.5 * (t + tn)
                e2 = model.eps(_transfer(p, x, e0, t, tm), tm)
                e3 = model.eps(_transfer(p, x, e2, t, tm), tm)
                e4 = model.eps(_transfer(p, x, e3, t, tn), tn)
                x = _transfer(p, x, (e0 + 2 * e2 + 2 * e3 + e4) / 6, t, tn)
            elif not prk and i == 0:
                e1 = model.eps(_transfer(p, x, e0, t, tn), tn)
                x = _transfer(p, x, 0.5 * (e0 + e1), t, tn)
            else:
                comb = sum(c * h for c, h in zip(PLMS[len(hist)], hist))
                x = _transfer(p, x, to_eps(comb, x, t) if raw else comb, t, tn)
        return x
    return run


def _singlestep(order):
    def run(model, x, grid, o, noise):
        p = model.p
        g = check_grid(grid, p, decreasing=False)
        st = o.get("solverType", "dpmsolver")
        conv = lambda xx, u: model.x0(xx, u)  # noqa: E731
        for i in range(len(g) - 1):
            s, t = g[i], g[i + 1]
            base, scale, h, z = _frame(p, "data", s, t)
            ls = p.lam(s)
            m0 = conv(x, s)
            first = lambda b, sc, hh, zz: sc * hh * phi(1, zz)  # noqa: E731
            if order == 2:
                s1 = p.t_of_lambda(ls + 0.5 * h)
                F1 = _frame(p, "data", s, s1)
                m1 = conv(F1[0] * x + first(*F1) * m0, s1)
                c = 0.5 * scale * h * phi(1, z) if st == "dpmsolver" else scale * h * phi(2, z)
                x = base * x + (first(base, scale, h, z) - 2 * c) * m0 + 2 * c * m1
            else:
                r1, r2 = 1 / 3, 2 / 3
                s1, s2 = p.t_of_lambda(ls + r1 * h), p.t_of_lambda(ls + r2 * h)
                F1, F2 = _frame(p, "data", s, s1), _frame(p, "data", s, s2)
                m1 = conv(F1[0] * x + first(*F1) * m0, s1)
                c2 = F2[1] * F2[2] * phi(2, F2[3]) * r2 / r1
                m2 = conv(F2[0] * x + (first(*F2) - c2) * m0 + c2 * m1, s2)
                c = scale * h * phi(2, z) / r2
                x = base * x + (first(base, scale, h, z) - c) * m0 + c * m2
        return x
    return run


def _flow_velocity(model, x, t):
    p = model.p
    da, ds = rates(p, t)
    a, s = p.alpha(t), p.sigma(t)
    if model.output == "flow":
        u = model.fn(x, t)
    elif model.output == "x0":
        x0 = model.x0(x, t)
        u = da * x0 + ds * (x - a * x0) / s
    else:
        e = model.eps(x, t)
        u = da * (x - s * e) / a + ds * e
    return -u if BUG == "flow_velocity_sign" else u


def _flow(heun):
    def run(model, x, grid, o, noise):
        if model.p.kind != "flow":
            raise InvalidInput("the flow samplers need the rectified-flow process")
        g = check_grid(grid, model.p)
        for i in range(len(g) - 1):
            t, tn = g[i], g[i + 1]
            u1 = _flow_velocity(model, x, t)
            xe = x + (tn - t) * u1
            if heun and model.p.sigma(tn) > 0:
                x = x + 0.5 * (tn - t) * (u1 + _flow_velocity(model, xe, tn))
            else:
                x = xe
        return x
    return run


SAMPLERS = {
    "langevin": lambda m, x, g, o, n: _langevin(m, x, g, o, n, False),
    "annealed-langevin": lambda m, x, g, o, n: _langevin(m, x, g, o, n, True),
    "euler-maruyama": _euler_maruyama,
    "vp-reverse-sde": _reverse(_vp_reverse),
    "ve-reverse-sde": _reverse(_ve_reverse),
    "predictor-corrector": _pc,
    "ode-euler": _ode("euler"),
    "ode-heun": _ode("heun"),
    "ode-rk4": _ode("rk4"),
    "dpm-solver-1": _dpm(1),
    "dpm-solver-2": _dpm(2),
    "dpm-solver-3": _dpm(3),
    "dpm-solver++2m": _dpmpp2m,
    "indi": _indi,
    "dpm-solver-2m": _multistep("dpm", 2, "noise"),
    "dpm-solver-3m": _multistep("dpm", 3, "noise"),
    "dpm-solver++3m": _multistep("dpm", 3, "data"),
    "dpm-solver++2s": _singlestep(2),
    "dpm-solver++3s": _singlestep(3),
    "unipc-bh1": _multistep("unipc", 2, "data", "bh1"),
    "unipc-bh2": _multistep("unipc", 2, "data", "bh2"),
    "deis": _multistep("deis", 3, "noise"),
    "pndm": _pndm(True),
    "plms": _pndm(False),
    "flow-euler": _flow(False),
    "flow-heun": _flow(True),
}


def _batch(b, name):
    a = np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] == 0 or not np.all(np.isfinite(a)):
        raise InvalidInput(f"{name}: a non-empty batch of equal-length finite vectors")
    return a


def _affine_score(spec):
    A, b = np.asarray(spec["matrix"], dtype=np.float64), vec(spec["shift"])
    return lambda x: A @ x + b


def kde_score(data, h, x):
    """grad log q(x) for q = (1/M) sum_m N(x_m, h^2 I): softmax-weighted (x_m - x)/h^2."""
    l = -np.sum((x - data) ** 2, axis=1) / (2 * h * h)
    w = np.exp(l - l.max())
    return (w / w.sum()) @ (data - x) / (h * h)


def explicit_score_matching_loss(score, data, h, samples):
    h = _finite("h", h)
    data, samples = _batch(data, "data"), _batch(samples, "samples")
    if not h > 0 or data.shape[1] != samples.shape[1]:
        raise InvalidInput("need h > 0 and data, samples of one dimension")
    half = 1.0 if BUG == "score_matching_half" else 0.5
    return float(np.mean([half * np.sum((score(x) - kde_score(data, h, x)) ** 2) for x in samples]))


def denoising_score_matching_loss(score, clean, sigma, noise):
    sigma = _finite("sigma", sigma)
    clean, noise = _batch(clean, "clean"), _batch(noise, "noise")
    if not sigma > 0 or clean.shape != noise.shape:
        raise InvalidInput("need sigma > 0 and clean, noise of one shape")
    half = 1.0 if BUG == "score_matching_half" else 0.5
    return float(np.mean([half * np.sum((score(x0 + sigma * z) + z / sigma) ** 2) for x0, z in zip(clean, noise)]))


def classifier_guided_eps(model, grad, w, x, t):
    w = _finite("w", w)
    if w < 0:
        raise InvalidInput("classifier guidance scale must be >= 0")
    return model.eps(x, t) - w * model.p.sigma(t) * grad


def classifier_free_eps(cond, uncond, w, x, t):
    w = _finite("w", w)
    if w < -1:
        raise InvalidInput("classifier-free guidance scale must be >= -1")
    ec, eu = cond.eps(x, t), uncond.eps(x, t)
    return eu + w * (ec - eu) if BUG == "cfg_scale_convention" else (1 + w) * ec - w * eu



# ---------------------------------------------------------------------------------------------
# sigma-space (issue 14; Karras et al. 2022, k-diffusion): schedules, ancestral split, samplers.
# x is in sigma-space (x_t / alpha_t); D(x, s) is the denoiser; a sigma grid ends with one 0.


def _pos_int(name, n):
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise InvalidInput(f"{name} must be a positive integer")
    return n


def _range(o):
    lo, hi = _finite("sigmaMin", o.get("sigmaMin")), _finite("sigmaMax", o.get("sigmaMax"))
    if not (lo > 0 and hi > lo):
        raise InvalidInput("need 0 < sigmaMin < sigmaMax")
    return lo, hi


def _append_zero(sig):
    out = list(sig) + [0.0]
    if BUG == "sigma_final_zero":
        out.append(0.0)
    return np.asarray(out, dtype=np.float64)


def sigma_schedule(name, n, o):
    n, o = _pos_int("n", n), dict(o or {})
    if name in ("karras", "polyexponential", "exponential"):
        lo, hi = _range(o)
        rho = _finite("rho", o.get("rho", 7.0 if name == "karras" else 1.0)) if name != "exponential" else 1.0
        if not rho > 0:
            raise InvalidInput("rho must be > 0")
        r = np.linspace(0.0, 1.0, n) if n > 1 else np.zeros(1)
        if name == "karras":
            a, b = hi ** (1 / rho), lo ** (1 / rho)
            s = a + r * (b - a) if BUG == "karras_rho_power" else (a + r * (b - a)) ** rho
            if BUG != "karras_rho_power":
                s[0] = hi
                if n > 1:
                    s[-1] = lo
        else:
            s = np.exp(math.log(lo) + (1 - r) ** rho * (math.log(hi) - math.log(lo)))
            s[0] = hi
            if n > 1:
                s[-1] = lo
        return _append_zero(s)
    if name == "vp":
        bd, bm, eps = o.get("betaD", 19.9), o.get("betaMin", 0.1), o.get("epsS", 1e-3)
        if not (bd >= 0 and bm > 0 and 0 < eps < 1):
            raise InvalidInput("need betaD >= 0, betaMin > 0, 0 < epsS < 1")
        t = np.linspace(1.0, eps, n) if n > 1 else np.ones(1)
        return _append_zero(np.sqrt(np.expm1(0.5 * bd * t * t + bm * t)))
    raise InvalidInput(f"unknown sigma schedule {name!r}")


def discrete_sigmas(betas):
    d = Diffusion(betas)
    return np.sqrt(np.expm1(-np.cumsum(np.log1p(-d.betas))))


def discrete_schedule_sigmas(betas, n, spacing):
    tab, n = discrete_sigmas(betas), _pos_int("n", n)
    T = len(tab)
    if n > T:
        raise InvalidInput("more steps than timesteps")
    s = np.zeros(n)
    for k in range(n):
        if spacing == "linspace":
            i0 = (T - 1) * (1 - k / (n - 1)) if n > 1 else T - 1.0
            i = min(int(math.floor(i0)), T - 2)
            w = i0 - i
            s[k] = tab[i + int(w)] if w in (0.0, 1.0) else math.exp((1 - w) * math.log(tab[i]) + w * math.log(tab[i + 1]))
        elif spacing == "leading":
            s[k] = tab[(n - 1 - k) * (T // n) + 1]
        elif spacing == "trailing":
            s[k] = tab[int(round(T - k * T / n)) - 1]
        else:
            raise InvalidInput(f"unknown spacing {spacing!r}")
    return _append_zero(s)


def ancestral_step(f, t, eta=1.0):
    f, t, eta = _finite("sigmaFrom", f), _finite("sigmaTo", t), _finite("eta", eta)
    if not (f > 0 and 0 <= t <= f and eta >= 0):
        raise InvalidInput("need sigmaFrom > 0, 0 <= sigmaTo <= sigmaFrom, eta >= 0")
    if eta == 0 or t == 0:
        return t, 0.0
    up = eta * math.sqrt(t * t * (f * f - t * t) / (f * f))
    if BUG != "ancestral_clamp":
        up = min(t, up)
    down2 = t * t - up * up
    return (math.sqrt(down2) if down2 >= 0 else math.nan), up


def check_sigma_grid(g):
    g = [float(v) for v in g]
    if len(g) < 2 or not all(math.isfinite(v) for v in g):
        raise InvalidInput("a sigma grid needs >= 2 finite entries")
    for i in range(1, len(g)):
        if not g[i] < g[i - 1] or g[i] < 0:
            raise InvalidInput(f"sigmas[{i}] = {g[i]}: not strictly decreasing / negative")
    return g


def _kd(x, den, s):
    return (x - den) / s


def _k_churn(x, s, N, o, noise):
    churn, tmin, tmax, sn = o.get("sChurn", 0.0), o.get("sTmin", 0.0), o.get("sTmax", math.inf), o.get("sNoise", 1.0)
    gamma = min(churn / N, math.sqrt(2) - 1) if churn > 0 and tmin <= s <= tmax else 0.0
    if gamma == 0:
        return x, s
    sh = s * (1 + gamma)
    return x + sn * math.sqrt(sh * sh - s * s) * noise(), sh


def _lms_coef(order, g, i, j):
    xs, ws = [-math.sqrt(0.6), 0.0, math.sqrt(0.6)], [5 / 9, 8 / 9, 5 / 9]
    a, b = g[i], g[i + 1]

    def ell(tau):
        p = 1.0
        for k in range(order):
            if k != j:
                p *= (tau - g[i - k]) / (g[i - j] - g[i - k])
        return p
    if BUG == "lms_coefficients":
        ab = [[1], [1.5, -0.5], [23 / 12, -16 / 12, 5 / 12], [55 / 24, -59 / 24, 37 / 24, -9 / 24]]
        return ab[order - 1][j] * (b - a)
    return 0.5 * (b - a) * sum(w * ell(0.5 * (a + b) + 0.5 * (b - a) * xq) for w, xq in zip(ws, xs))


def _phi2(k):
    return k / 2 - k * k / 6 + k ** 3 / 24 if abs(k) < 1e-4 else math.expm1(-k) / k + 1


def _phi3(k):
    return -k / 6 + k * k / 24 - k ** 3 / 120 if abs(k) < 1e-3 else _phi2(k) / k - 0.5


def k_sample(name, D, x, g, o, noise):
    g = check_sigma_grid(g)
    N = len(g) - 1
    eta, sn = o.get("eta", 1.0), o.get("sNoise", 1.0)
    if not (eta >= 0 and sn >= 0):
        raise InvalidInput("eta and sNoise must be >= 0")
    old, old2, h1, h2, ds = None, None, 0.0, 0.0, []
    order = o.get("order", 4)
    if name == "lms" and (not isinstance(order, int) or not 1 <= order <= 4):
        raise InvalidInput("lms order must be 1..4")
    for i in range(N):
        s, sn1 = g[i], g[i + 1]
        if name in ("euler", "heun", "dpm_2"):
            x, sh = _k_churn(x, s, N, o, noise)
            den = D(x, sh)
            d = _kd(x, den, sh)
            if name == "euler" or sn1 == 0:
                x = x + (sn1 - sh) * d
            elif name == "heun":
                x2 = x + (sn1 - sh) * d
                d2 = _kd(x2, D(x2, sh if BUG == "heun_second_stage_sigma" else sn1), sh if BUG == "heun_second_stage_sigma" else sn1)
                x = x + (sn1 - sh) / 2 * (d + d2)
            else:
                sm = math.exp(0.5 * (math.log(sh) + math.log(sn1)))
                x2 = x + (sm - sh) * d
                x = x + (sn1 - sh) * _kd(x2, D(x2, sm), sm)
        elif name in ("euler_ancestral", "dpm_2_ancestral", "dpmpp_2s_ancestral"):
            den = D(x, s)
            down, up = ancestral_step(s, sn1, eta)
            d = _kd(x, den, s)
            if name == "euler_ancestral" or down == 0:
                x = x + (down - s) * d
            elif name == "dpm_2_ancestral":
                sm = math.exp(0.5 * (math.log(s) + math.log(down)))
                x2 = x + (sm - s) * d
                x = x + (down - s) * _kd(x2, D(x2, sm), sm)
            else:
                h = math.log(s) - math.log(down)
                sm = s * math.exp(-0.5 * h)
                x2 = (sm / s) * x - math.expm1(-0.5 * h) * den
                x = (down / s) * x - math.expm1(-h) * D(x2, sm)
            if up > 0:
                x = x + sn * (sn1 if BUG == "ancestral_noise_level" else up) * noise()
        elif name == "lms":
            den = D(x, s)
            ds.insert(0, _kd(x, den, s))
            ds = ds[:order]
            k = min(i + 1, order)
            x = x + sum(_lms_coef(k, g, i, j) * ds[j] for j in range(k))
        elif name == "dpmpp_sde":
            r = o.get("r", 0.5)
            den = D(x, s)
            if sn1 == 0:
                x = den
            else:
                h = math.log(s) - math.log(sn1)
                ss = s * math.exp(-r * h)
                d1, u1 = ancestral_step(s, ss, eta)
                x2 = (d1 / s) * x - math.expm1(math.log(d1 / s)) * den
                if u1 > 0:
                    x2 = x2 + sn * u1 * noise()
                den2 = D(x2, ss)
                d2, u2 = ancestral_step(s, sn1, eta)
                fac = 1 / (2 * r)
                x = (d2 / s) * x - math.expm1(math.log(d2 / s)) * ((1 - fac) * den + fac * den2)
                if u2 > 0:
                    x = x + sn * u2 * noise()
        elif name == "dpmpp_2m":
            den = D(x, s)
            if old is None or (sn1 == 0 and BUG != "dpmpp_2m_final_order"):
                x = den if sn1 == 0 else (sn1 / s) * x - math.expm1(-(math.log(s) - math.log(sn1))) * den
            else:
                h = math.log(s) - math.log(sn1) if sn1 > 0 else math.inf
                q = h1 / h
                with np.errstate(all="ignore"):
                    dd = (1 + 1 / (2 * q)) * den - (1 / (2 * q)) * old if q > 0 else np.full_like(den, math.nan)
                x = (sn1 / s) * x - math.expm1(-h) * dd if sn1 > 0 else dd
            if sn1 > 0:
                h1 = math.log(s) - math.log(sn1)
            old = den
        elif name in ("dpmpp_2m_sde", "dpmpp_3m_sde"):
            den = D(x, s)
            if sn1 == 0:
                x = den
            else:
                h = math.log(s) - math.log(sn1)
                k = (1 + eta) * h
                x = (sn1 / s) * math.exp(-eta * h) * x - math.expm1(-k) * den
                if name == "dpmpp_2m_sde" and old is not None:
                    c = -0.5 * math.expm1(-k) / (h1 / h) if o.get("solverType", "midpoint") == "midpoint" else _phi2(k) / (h1 / h)
                    x = x + c * (den - old)
                if name == "dpmpp_3m_sde":
                    c3 = 2.0 if o.get("variant", "k-diffusion") == "taylor" and BUG != "dpmpp_3m_second_derivative" else 1.0
                    if old is not None and old2 is not None:
                        r0, r1 = h1 / h, h2 / h
                        d10, d11 = (den - old) / r0, (old - old2) / r1
                        x = x + _phi2(k) * (d10 + (d10 - d11) * r0 / (r0 + r1)) - c3 * _phi3(k) * (d10 - d11) / (r0 + r1)
                    elif old is not None:
                        x = x + _phi2(k) * (den - old) / (h1 / h)
                if eta > 0 and sn > 0:
                    x = x + sn * sn1 * math.sqrt(-math.expm1(-2 * eta * h)) * noise()
                h2, h1 = h1, h
            old2, old = old, den
        else:
            raise InvalidInput(f"unknown sigma-space sampler {name!r}")
    return x


def _k_run(i):
    x, g = vec(i["x"]), list(i["sigmas"])
    o = dict(i.get("options") or {})
    noise = _noise_source(o.pop("noise", None), x)
    spec = i["model"]
    if spec["kind"] == "given":
        value = vec(spec["value"])

        def D(xx, s):
            if abs(s - g[0]) > 1e-12 * g[0] or np.any(np.abs(xx - x) > 1e-12 * np.maximum(1.0, np.abs(x))):
                raise RuntimeError("the vector gives D only at the run's input")
            return value
    else:
        mix = _without_bug(lambda: Mixture(spec["mixture"]))

        def D(xx, s):
            return _without_bug(lambda: mix.posterior_mean(1.0, s, xx))
    return {"out": k_sample(i["sampler"], D, x, g, o, noise)}

# =============================================================================================
# Part 2: the ADAPTER — replace these bodies to check your own implementation.
# Conventions (see the vector files' indexConvention): t is the papers' 1-based step index,
# betas[t-1] = beta_t, alpha_bar_0 = 1; vectors arrive as Python lists of floats; return numbers,
# lists or numpy arrays; raise any exception to reject an input.
# =============================================================================================


def _affine_model(spec):
    scale, shift = spec["scale"], np.asarray(spec["shift"], dtype=np.float64)
    return lambda xt, t: scale * xt + shift


def _without_bug(fn):
    global BUG
    saved, BUG = BUG, None
    try:
        return fn()
    finally:
        BUG = saved


def _fixture_model(spec, proc, x_in, t_in):
    """A vector's model: {'kind': 'given', output, value} = its output at the step's input (x, t) only;
    {'kind': 'mixture', output, mixture} = the exact oracle of that Gaussian mixture on the process."""
    if spec["kind"] == "given":
        value = vec(spec["value"])

        def fn(x, t):
            if abs(t - t_in) > 1e-12 * max(1.0, abs(t_in)) or np.any(np.abs(x - x_in) > 1e-12 * np.maximum(1.0, np.abs(x_in))):
                raise RuntimeError("the vector gives the model output only at the step's input (x, t)")
            return value
        return Model(proc, spec["output"], fn)
    if spec["kind"] == "sequence":
        times, values = list(spec["times"]), [vec(v) for v in spec["values"]]
        calls = [0]

        def seq(x, t):
            k = calls[0]
            if k >= len(values) or abs(t - times[k]) > 1e-12 * max(1.0, abs(times[k])):
                raise RuntimeError(f"model call {k + 1} at t = {t} is not the vector's")
            calls[0] += 1
            return values[k]
        return Model(proc, spec["output"], seq)
    if spec["kind"] == "mixture":
        # The fixture is given, not under test: evaluate the oracle without any injected bug.
        oracle = _without_bug(lambda: mixture_model(Mixture(spec["mixture"]), proc, spec["output"]))
        return Model(proc, spec["output"], lambda x, t: _without_bug(lambda: oracle.fn(x, t)))
    raise ValueError(f"unknown model kind {spec['kind']!r}")


def _noise_source(draws, like):
    it = iter(draws or [])

    def noise():
        z = next(it, None)
        if z is None:
            raise RuntimeError("the step asked for more noise draws than the vector gives")
        return vec(z, like)
    return noise


def _sampler_step(i):
    if i["sampler"] not in SAMPLERS:
        raise InvalidInput(f"unknown sampler {i['sampler']!r}")
    proc, x, grid = Process(i["process"]), vec(i["x"]), list(i["timeGrid"])
    o = dict(i.get("options") or {})
    noise = _noise_source(o.pop("noise", None), x)
    model = _fixture_model(i["model"], proc, x, grid[0] if grid else 0.0)
    return {"out": SAMPLERS[i["sampler"]](model, x, grid, o, noise)}


def _process_coefficients(i):
    p, t = Process(i["process"]), i["t"]
    return {"alpha": p.alpha(t), "sigma": p.sigma(t), "lambda": p.lam(t), "f": p.f(t), "g2": p.g2(t)}


def _guided(i, classifier):
    proc, x, t = Process(i["process"]), vec(i["x"]), i["t"]
    proc.check(t)
    if classifier:
        m = _fixture_model(i["model"], proc, x, t)
        return {"out": classifier_guided_eps(m, vec(i["classifierGrad"], x), i["w"], x, t)}
    c, u = _fixture_model(i["condModel"], proc, x, t), _fixture_model(i["uncondModel"], proc, x, t)
    return {"out": classifier_free_eps(c, u, i["w"], x, t)}


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
    # score family: specs are plain JSON (see src/conformance/vectors/score-ops.ts and the files' headers)
    "mixtureLogPdf": lambda i: {"out": Mixture(i["mixture"]).log_pdf(i["alpha"], i["sigma"], i["x"])},
    "mixtureScore": lambda i: {"out": Mixture(i["mixture"]).score(i["alpha"], i["sigma"], i["x"])},
    "mixturePosteriorMean": lambda i: {"out": Mixture(i["mixture"]).posterior_mean(i["alpha"], i["sigma"], i["x"])},
    "processCoefficients": _process_coefficients,
    "mixtureModelOutput": lambda i: {"out": mixture_model(Mixture(i["mixture"]), Process(i["process"]), i["output"]).fn(vec(i["x"]), Process(i["process"]).check(i["t"]))},
    "samplerStep": _sampler_step,
    "explicitScoreMatchingLoss": lambda i: {"out": explicit_score_matching_loss(_affine_score(i["score"]), i["data"], i["h"], i["samples"])},
    "denoisingScoreMatchingLoss": lambda i: {"out": denoising_score_matching_loss(_affine_score(i["score"]), i["clean"], i["sigma"], i["noise"])},
    "classifierGuidedEps": lambda i: _guided(i, True),
    "classifierFreeGuidedEps": lambda i: _guided(i, False),
    # sigma-space (issue 14)
    "sigmaSchedule": lambda i: {"out": sigma_schedule(i["name"], i["n"], i.get("options"))},
    "discreteScheduleSigmas": lambda i: {"out": discrete_schedule_sigmas(i["betas"], i["n"], i["spacing"])},
    "ancestralStep": lambda i: (lambda r: {"sigmaDown": r[0], "sigmaUp": r[1]})(ancestral_step(i["sigmaFrom"], i["sigmaTo"], i["eta"])),
    "kSamplerRun": _k_run,
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


WORST = {}  # family -> (largest |actual - expected| / tolerance among passing cases, case id)


def compare(actual, expected, tol, ratio=None):
    a = np.atleast_1d(np.asarray(actual, dtype=np.float64))
    e = np.atleast_1d(np.asarray(expected, dtype=np.float64))
    if a.shape != e.shape:
        return f"shape {a.shape}, expected {e.shape}"
    if ratio is not None and tol > 0:
        fin = np.isfinite(e)
        ratio.append(float(np.max(np.abs(a[fin] - e[fin]), initial=0.0)) / tol)
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
    ratios = []
    for key, expected in case["expected"].items():
        if key not in out:
            return "fail", f"output {key} missing"
        msg = compare(out[key], decode(expected), case["tolerance"][key][precision], ratios)
        if msg:
            return "fail", f"{key}{msg}"
    fam = case["id"].split("/")[0]
    if ratios and max(ratios) > WORST.get(fam, (0.0, ""))[0]:
        WORST[fam] = (max(ratios), case["id"])
    return "pass", "ok"


BUGS = ["prev_timestep", "final_alpha", "off_by_one", "noise_at_t1", "v_conversion", "t_zero_variance",
        "log_variance_clip", "linear_endpoint", "zero_terminal_snr",
        # score family
        "score_sign", "mixture_weights", "noisy_marginal", "tweedie_scale", "langevin_noise_scale", "vp_sde_drift",
        "ve_sde_increment", "heun_correction", "rk4_weights", "dpm_lambda_direction", "indi_extra_noise", "cfg_scale_convention",
        "score_matching_half",
        # sigma-space
        "karras_rho_power", "sigma_final_zero", "ancestral_clamp", "ancestral_noise_level", "heun_second_stage_sigma", "dpmpp_2m_final_order",
        "lms_coefficients", "dpmpp_3m_second_derivative",
        # multistep and flow
        "multistep_warmup", "lower_order_final", "pndm_raw_v", "flow_velocity_sign"]


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
        worst = WORST.get(data["family"])
        print(f"{verdict} {data['family']:<18} {counts['pass']:4d} passed {counts['fail']:4d} failed {counts['n/a']:4d} not applicable"
              + (f"   worst error/tolerance {worst[0]:.2e} ({worst[1]})" if worst else ""))
        for cid, flags, msg in failures if args.verbose else failures[:5]:
            print(f"       {cid} [{', '.join(flags)}]: {msg}")
        if failures and not args.verbose and len(failures) > 5:
            print(f"       ... {len(failures) - 5} more (--verbose)")
    print("FAILED" if total_fail else "all applicable vectors passed")
    return 1 if total_fail else 0


if __name__ == "__main__":
    sys.exit(main())
