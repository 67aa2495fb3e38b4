"""Numeric benchmark: exported NumPy code vs hand-written NumPy closed forms, and
JAX jit (jacfwd∘jacrev) / torch.func Hessians, each framework in its own process.

    python bench/numeric.py            # full table (JAX/torch columns if installed)
    python bench/numeric.py --quick    # fewer repeats

Prints a markdown table of medians (ms) and ratios measured in this one run.
Thread settings (OPENBLAS_NUM_THREADS, ...) are left as the environment has them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

SEED = 0


# ---------------------------------------------------------------------------
# Inputs (the same in every process: seeded)
# ---------------------------------------------------------------------------

def inputs(case: str) -> dict:
    rng = np.random.default_rng(SEED)
    if case == "lsq":
        return {"A": rng.normal(size=(1000, 1000)), "b": rng.normal(size=1000), "x": rng.normal(size=1000)}
    if case == "quad":
        return {"A": rng.normal(size=(1000, 1000)), "x": rng.normal(size=1000)}
    if case == "logreg":
        return {"X": rng.normal(size=(2000, 500)) / 10, "w": rng.normal(size=500),
                "y": rng.choice([-1.0, 1.0], size=2000)}
    if case == "mf":
        return {"T": rng.normal(size=(50, 60)), "U": rng.normal(size=(50, 20)), "V": rng.normal(size=(60, 20))}
    if case == "logdet_grad":
        return {"X": rng.normal(size=(500, 500)) + 30 * np.eye(500)}
    if case == "logdet_hess":
        return {"X": rng.normal(size=(40, 40)) + 10 * np.eye(40)}
    if case == "softmax_ce":
        y = np.zeros(1000)
        y[3] = 1.0
        return {"z": rng.normal(size=1000), "y": y}
    raise KeyError(case)


CASES = ["lsq", "quad", "logreg", "mf", "logdet_grad", "logdet_hess", "softmax_ce"]
LABEL = {"lsq": "lsq (1000)", "quad": "quad (1000)", "logreg": "logreg (2000×500)", "mf": "mf (50×20, 60×20)",
         "logdet_grad": "logdet gradient (500)", "logdet_hess": "logdet Hessian (40)",
         "softmax_ce": "softmax_ce (1000)"}
WRT = {"lsq": "x", "quad": "x", "logreg": "w", "mf": "U", "logdet_grad": "X", "logdet_hess": "X", "softmax_ce": "z"}


def timepair(fa, fb, min_time=0.6, min_reps=15, max_reps=400) -> tuple:
    """Medians (ms) of fa() and fb() timed alternately, so that load from other
    processes on the machine hits both alike."""
    for _ in range(2):
        fa()
        fb()
    ta, tb, start = [], [], time.perf_counter()
    while len(ta) < min_reps or (time.perf_counter() - start < min_time and len(ta) < max_reps):
        t0 = time.perf_counter()
        fa()
        t1 = time.perf_counter()
        fb()
        t2 = time.perf_counter()
        ta.append(t1 - t0)
        tb.append(t2 - t1)
    return 1e3 * statistics.median(ta), 1e3 * statistics.median(tb)


# ---------------------------------------------------------------------------
# Hand-written NumPy closed forms
# ---------------------------------------------------------------------------

def closed_form(case: str, v: dict):
    if case == "lsq":
        A = v["A"]
        return lambda: 2 * A.T @ A
    if case == "quad":
        A = v["A"]
        return lambda: A + A.T
    if case == "logreg":
        X, w, y = v["X"], v["w"], v["y"]

        def h():
            s = 1.0 / (1.0 + np.exp(-y * (X @ w)))
            return X.T @ (X * (s * (1 - s))[:, None])
        return h
    if case == "mf":
        V, m = v["V"], v["U"].shape[0]
        return lambda: 2 * np.eye(m)[:, None, :, None] * (V.T @ V)[None, :, None, :]
    if case == "logdet_grad":
        X = v["X"]
        return lambda: np.linalg.inv(X).T
    if case == "logdet_hess":
        X = v["X"]

        def h():
            Xi = np.linalg.inv(X)
            return -(Xi.T[:, None, None, :] * Xi[None, :, :, None])
        return h
    if case == "softmax_ce":
        z = v["z"]

        def h():
            p = np.exp(z - z.max())
            p /= p.sum()
            return np.diag(p) - np.outer(p, p)
        return h
    raise KeyError(case)


# ---------------------------------------------------------------------------
# tensorgrad: derive, simplify, export
# ---------------------------------------------------------------------------

def symbolic(case: str):
    import tensorgrad as tg
    from tensorgrad import functions as F

    if case == "lsq":
        A, x, b = tg.Variable("A", i="m", j="n"), tg.Variable("x", j="n"), tg.Variable("b", i="m")
        r = A @ x - b
        f, wrt, sizes = r @ r, x, {"m": 1000, "n": 1000}
    elif case == "quad":
        A, x = tg.Variable("A", i="n", j="n"), tg.Variable("x", j="n")
        f, wrt, sizes = x.rename(j="i") @ A @ x, x, {"n": 1000}
    elif case == "logreg":
        X, w, y = tg.Variable("X", i="m", j="n"), tg.Variable("w", j="n"), tg.Variable("y", i="m")
        f, wrt, sizes = tg.sum(tg.log(1 + tg.exp(-y * (X @ w)))), w, {"m": 2000, "n": 500}
    elif case == "mf":
        T, U, V = tg.Variable("T", i="m", j="n"), tg.Variable("U", i="m", k="r"), tg.Variable("V", j="n", k="r")
        R = T - U @ V
        f, wrt, sizes = tg.sum(R * R), U, {"m": 50, "n": 60, "r": 20}
    elif case in ("logdet_grad", "logdet_hess"):
        X = tg.Variable("X", i="n", j="n")
        f, wrt, sizes = F.logdet(X), X, {"n": 500 if case == "logdet_grad" else 40}
    elif case == "softmax_ce":
        z, y = tg.Variable("z", j="n"), tg.Variable("y", j="n")
        f, wrt, sizes = -(y @ tg.log(F.softmax(z, "j"))), z, {"n": 1000}
    g = tg.grad(f, wrt).simplify()
    out = g if case == "logdet_grad" else tg.derivative(g, wrt).simplify()
    return out, sizes


def exported(case: str):
    """The exported NumPy function for this case, bound to its inputs."""
    from tensorgrad.export import compile as tg_compile
    import inspect
    v = inputs(case)
    expr, sizes = symbolic(case)
    fn = tg_compile(expr, sizes=sizes)
    params = inspect.signature(fn).parameters
    args = [v[n] for n, p in params.items() if p.kind is not p.KEYWORD_ONLY]
    kw = {n: sizes[n] for n, p in params.items() if p.kind is p.KEYWORD_ONLY}  # e.g. mf: m (U is not used)
    return lambda: fn(*args, **kw)


def tensorgrad_rows(quick: bool) -> dict:
    rows = {}
    for case in CASES:
        v = inputs(case)
        run = exported(case)
        want = closed_form(case, v)()
        got = run()
        err = float(np.max(np.abs(got - want)) / max(1.0, np.max(np.abs(want))))
        t_ex, t_cf = timepair(run, closed_form(case, v), min_time=0.5 if quick else 3.0)
        rows[case] = {"exported": t_ex, "closed": t_cf, "err": err}
    return rows


# ---------------------------------------------------------------------------
# JAX and torch, one per process
# ---------------------------------------------------------------------------

def jax_rows(quick: bool) -> dict:
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    def loss(case):
        if case == "lsq":
            return lambda x, A, b: jnp.sum((A @ x - b) ** 2)
        if case == "quad":
            return lambda x, A: x @ A @ x
        if case == "logreg":
            return lambda w, X, y: jnp.sum(jnp.logaddexp(0.0, -y * (X @ w)))
        if case == "mf":
            return lambda U, T, V: jnp.sum((T - U @ V.T) ** 2)
        if case in ("logdet_grad", "logdet_hess"):
            return lambda X: jnp.linalg.slogdet(X)[1]
        if case == "softmax_ce":
            return lambda z, y: -(y @ jax.nn.log_softmax(z))

    rows = {}
    for case in CASES:
        v = {k: jnp.asarray(a) for k, a in inputs(case).items()}
        f = loss(case)
        d = jax.grad(f) if case == "logdet_grad" else jax.jacfwd(jax.jacrev(f))
        fn = jax.jit(d)
        args = [v[WRT[case]]] + [v[k] for k in v if k != WRT[case]]
        t0 = time.perf_counter()
        fn(*args).block_until_ready()
        first = 1e3 * (time.perf_counter() - t0)
        t, t_ex = timepair(lambda: fn(*args).block_until_ready(), exported(case), min_time=0.5 if quick else 2.0)
        rows[case] = {"time": t, "exported": t_ex, "first": first}
    return rows


def torch_rows(quick: bool) -> dict:
    import torch
    from torch.func import grad, hessian

    def loss(case):
        if case == "lsq":
            return lambda x, A, b: torch.sum((A @ x - b) ** 2)
        if case == "quad":
            return lambda x, A: x @ A @ x
        if case == "logreg":
            return lambda w, X, y: torch.sum(torch.nn.functional.softplus(-y * (X @ w)))
        if case == "mf":
            return lambda U, T, V: torch.sum((T - U @ V.T) ** 2)
        if case in ("logdet_grad", "logdet_hess"):
            return lambda X: torch.linalg.slogdet(X)[1]
        if case == "softmax_ce":
            return lambda z, y: -(y @ torch.log_softmax(z, 0))

    rows = {}
    for case in CASES:
        v = {k: torch.as_tensor(a) for k, a in inputs(case).items()}
        f = loss(case)
        fn = grad(f) if case == "logdet_grad" else hessian(f)
        args = [v[WRT[case]]] + [v[k] for k in v if k != WRT[case]]
        t0 = time.perf_counter()
        fn(*args)
        first = 1e3 * (time.perf_counter() - t0)
        t, t_ex = timepair(lambda: fn(*args), exported(case), min_time=0.5 if quick else 2.0)
        rows[case] = {"time": t, "exported": t_ex, "first": first}
    return rows


def in_subprocess(framework: str, quick: bool):
    cmd = [sys.executable, os.path.abspath(__file__), "--framework", framework] + (["--quick"] if quick else [])
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        tail = (res.stderr.strip().splitlines() or ["?"])[-1]
        print(f"<!-- {framework} not measured: {tail} -->", file=sys.stderr)
        return None
    return json.loads(res.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--framework", choices=["jax", "torch"], help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-frameworks", action="store_true", help="skip the JAX and torch columns")
    a = ap.parse_args()
    if a.framework:
        rows = jax_rows(a.quick) if a.framework == "jax" else torch_rows(a.quick)
        print(json.dumps(rows))
        return
    jx = None if a.no_frameworks else in_subprocess("jax", a.quick)
    th = None if a.no_frameworks else in_subprocess("torch", a.quick)
    tg_rows = tensorgrad_rows(a.quick)
    print("| case | exported numpy (ms) | NumPy closed form (ms) | exported / closed | JAX jit (ms) "
          "| JAX / exported | torch.func (ms) | torch / exported | rel. error vs closed |")
    print("|---|---|---|---|---|---|---|---|---|")
    for case in CASES:
        r = tg_rows[case]
        jt = jx[case]["time"] if jx else None
        tt = th[case]["time"] if th else None
        cells = [LABEL[case], f"{r['exported']:.3g}", f"{r['closed']:.3g}", f"{r['exported'] / r['closed']:.2f}×",
                 f"{jt:.3g}" if jt else "—", f"{jt / jx[case]['exported']:.1f}×" if jt else "—",
                 f"{tt:.3g}" if tt else "—", f"{tt / th[case]['exported']:.1f}×" if tt else "—", f"{r['err']:.1e}"]
        print("| " + " | ".join(cells) + " |")
    if jx or th:
        firsts = []
        if jx:
            firsts.append("JAX " + ", ".join(f"{c} {jx[c]['first']:.0f}" for c in CASES))
        if th:
            firsts.append("torch " + ", ".join(f"{c} {th[c]['first']:.0f}" for c in CASES))
        print("\nFirst calls (ms, compile/trace included): " + "; ".join(firsts))
    print("\nEach ratio compares medians timed alternately in one process (exported vs closed form here; "
          "JAX or torch vs exported in that framework's own process), so load on the machine hits both alike.")
    print("Ratios are medians from this one run; threads as the environment sets them "
          f"(OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, cpus={os.cpu_count()}).")


if __name__ == "__main__":
    main()
