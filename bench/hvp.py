"""Hessian-vector products: `tg.hvp` (evaluate and exported NumPy code) against a
hand-written NumPy HVP and JAX jit `jvp(grad(f))`, each framework in its own process.

    python bench/hvp.py            # markdown tables on stdout, bench/hvp.json
    python bench/hvp.py --quick    # shorter timing windows

Cases (../shared/BENCHMARKS.md, second card): hvp_lsq, ∇²‖Ax − b‖²·v at n = 4000, and
hvp_mlp2, ∇²‖W₂ tanh(W₁x) − y‖²·V wrt W₁ (256×128, W₂ 10×256). Every ratio is
"time / hand-written HVP" measured round-robin in the same process; JAX / exported
goes through that common yardstick. Memory: opt_einsum's largest intermediate and the
largest array tg.evaluate holds, against max(result, largest input).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.run import memory_report, rel_err, thread_env, timeset  # noqa: E402

SEED = 0
CASES = ["hvp_lsq", "hvp_mlp2"]
LABEL = {"hvp_lsq": "hvp_lsq (A 4000×4000)", "hvp_mlp2": "hvp_mlp2 (W₁ 256×128, W₂ 10×256)"}


def inputs(case: str) -> dict:
    rng = np.random.default_rng(SEED)
    if case == "hvp_lsq":
        n = 4000
        return {"A": rng.normal(size=(n, n)), "b": rng.normal(size=n), "x": rng.normal(size=n), "v": rng.normal(size=n)}
    if case == "hvp_mlp2":
        return {"W1": rng.normal(size=(256, 128)) / 10, "W2": rng.normal(size=(10, 256)) / 10,
                "x": rng.normal(size=128), "y": rng.normal(size=10), "V": rng.normal(size=(256, 128))}
    raise KeyError(case)


def closed_form(case: str, v: dict):
    """The HVP as a NumPy expert writes it by hand."""
    if case == "hvp_lsq":
        A, vv = v["A"], v["v"]
        return lambda: 2 * (A.T @ (A @ vv))
    W1, W2, x, y, V = v["W1"], v["W2"], v["x"], v["y"], v["V"]

    def h():
        t = np.tanh(W1 @ x)
        s = 1 - t * t
        r = W2 @ t - y
        dt = s * (V @ x)
        ds = -2 * t * dt
        return np.outer(2 * (ds * (W2.T @ r) + s * (W2.T @ (W2 @ dt))), x)
    return h


def symbolic(case: str):
    """(tg.hvp expression, sizes, symbolic seconds)."""
    import tensorgrad as tg
    t0 = time.perf_counter()
    if case == "hvp_lsq":
        A, x, b = tg.Variable("A", i="m", j="n"), tg.Variable("x", j="n"), tg.Variable("b", i="m")
        v = tg.Variable("v", j="n")
        r = A @ x - b
        out, sizes = tg.hvp(r @ r, x, v), {"m": 4000, "n": 4000}
    else:
        W1, W2 = tg.Variable("W1", h="H", j="n"), tg.Variable("W2", o="O", h="H")
        x, y, V = tg.Variable("x", j="n"), tg.Variable("y", o="O"), tg.Variable("V", h="H", j="n")
        r = W2 @ tg.tanh(W1 @ x) - y
        out, sizes = tg.hvp(r @ r, W1, V), {"H": 256, "n": 128, "O": 10}
    return out, sizes, time.perf_counter() - t0


def tensorgrad_worker(quick: bool) -> dict:
    import inspect

    import tensorgrad as tg
    rows = {}
    for case in CASES:
        v = inputs(case)
        expr, sizes, sym = symbolic(case)
        fn = tg.compile(expr, sizes=sizes)
        args = [v[p] for p in inspect.signature(fn).parameters]
        closed = closed_form(case, v)
        want = closed()
        t_ev, t_ex, t_cf = timeset([lambda: tg.evaluate(expr, v), lambda: fn(*args), closed],
                                   min_time=0.5 if quick else 2.0)
        mem = memory_report(expr, sizes, {k: a for k, a in v.items()})
        rows[case] = {"evaluate": t_ev, "exported": t_ex, "closed": t_cf, "symbolic_ms": 1e3 * sym,
                      "err_evaluate": rel_err(tg.evaluate(expr, v), want), "err_exported": rel_err(fn(*args), want),
                      "nodes": expr.size(), "result": str(expr), **mem}
    return rows


def jax_worker(quick: bool) -> dict:
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    def lsq(x, A, b):
        r = A @ x - b
        return r @ r

    def mlp(W1, W2, x, y):
        r = W2 @ jnp.tanh(W1 @ x) - y
        return r @ r

    rows = {"_version": jax.__version__}
    for case in CASES:
        v = inputs(case)
        if case == "hvp_lsq":
            f, primal, tangent, rest = lsq, v["x"], v["v"], (v["A"], v["b"])
        else:
            f, primal, tangent, rest = mlp, v["W1"], v["V"], (v["W2"], v["x"], v["y"])
        rest = tuple(jnp.asarray(a) for a in rest)
        fn = jax.jit(lambda p, t, *r: jax.jvp(lambda q: jax.grad(f)(q, *r), (p,), (t,))[1])
        p, t = jnp.asarray(primal), jnp.asarray(tangent)
        t0 = time.perf_counter()
        out = fn(p, t, *rest).block_until_ready()
        first = 1e3 * (time.perf_counter() - t0)
        closed = closed_form(case, v)
        t_j, t_cf = timeset([lambda: fn(p, t, *rest).block_until_ready(), closed], min_time=0.5 if quick else 2.0)
        rows[case] = {"time": t_j, "closed": t_cf, "first": first, "err": rel_err(np.asarray(out), closed())}
    return rows


def in_subprocess(kind: str, quick: bool):
    cmd = [sys.executable, "-m", "bench.hvp", "--worker", kind] + (["--quick"] if quick else [])
    res = subprocess.run(cmd, capture_output=True, text=True, env=thread_env(), cwd=ROOT)
    if res.returncode != 0:
        tail = (res.stderr.strip().splitlines() or ["?"])[-1]
        print(f"<!-- hvp {kind} not measured: {tail} -->", file=sys.stderr)
        return None
    return json.loads(res.stdout.strip().splitlines()[-1])


def report(tgn: dict, jx: dict | None) -> str:
    out = ["## Hessian-vector products (tg.hvp), float64, median ms; ratio = time / hand-written NumPy HVP "
           "in the same process\n",
           "| case | hand-written | tg.evaluate | evaluate / hand | exported | exported / hand | JAX jit jvp∘grad "
           "| JAX / hand | JAX / exported | error evaluate | error exported | symbolic ms |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for case in CASES:
        r = tgn[case]
        ev, ex = r["evaluate"] / r["closed"], r["exported"] / r["closed"]
        jr = jx[case]["time"] / jx[case]["closed"] if jx else None
        out.append("| " + " | ".join([
            LABEL[case], f"{r['closed']:.3g}", f"{r['evaluate']:.3g}", f"{ev:.2f}×", f"{r['exported']:.3g}",
            f"{ex:.2f}×", "—" if jx is None else f"{jx[case]['time']:.3g}", "—" if jr is None else f"{jr:.2f}×",
            "—" if jr is None else f"{jr / ex:.2f}×", f"{r['err_evaluate']:.1e}", f"{r['err_exported']:.1e}",
            f"{r['symbolic_ms']:.1f}"]) + " |")
    if jx:
        out.append(f"\nJAX {jx['_version']} first calls (ms, compilation included): "
                   + ", ".join(f"{c} {jx[c]['first']:.0f}" for c in CASES)
                   + "; largest error vs hand-written: " + f"{max(jx[c]['err'] for c in CASES):.1e}.")
    out.append("\nMemory (elements): the HVP never holds a Hessian-sized array.\n")
    out.append("| case | contractions | temporaries | peak memory of one call (elements) | max(result, largest input) "
               "| Hessian would be | peak below a Hessian |")
    out.append("|---|---:|---:|---:|---:|---:|---|")
    for case in CASES:
        r = tgn[case]
        hess = {"hvp_lsq": 4000 ** 2, "hvp_mlp2": (256 * 128) ** 2}[case]
        peak = r["peak_bytes"] // 8
        out.append(f"| {LABEL[case]} | {r['contractions']} | {r['temporaries']} | {peak:,} | {r['bound']:,} "
                   f"| {hess:,} | {'yes' if peak < hess else '**no**'} |")
    out.append("\nTargets (issue 11): " + "; ".join(targets(tgn, jx)) + ".")
    out.append("\nResults: " + "; ".join(f"{c}: `{tgn[c]['result']}` ({tgn[c]['nodes']} nodes)" for c in CASES) + ".")
    return "\n".join(out) + "\n"


def targets(tgn: dict, jx: dict | None) -> list:
    """hvp_lsq within 1.1× of the hand-written 2Aᵀ(Av); hvp_mlp2 not slower than JAX jit."""
    r = tgn["hvp_lsq"]
    out = []
    for col in ("exported", "evaluate"):
        ratio = r[col] / r["closed"]
        out.append(f"hvp_lsq {col} {ratio:.2f}× hand-written (target ≤ 1.1×: {'met' if ratio <= 1.1 else '**missed**'})")
    if jx:
        for col in ("exported", "evaluate"):
            m = tgn["hvp_mlp2"]
            speed = (jx["hvp_mlp2"]["time"] / jx["hvp_mlp2"]["closed"]) / (m[col] / m["closed"])
            out.append(f"hvp_mlp2 {col}: JAX / tensorgrad {speed:.2f}× (target ≥ 1: {'met' if speed >= 0.95 else '**missed**'})")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description="Hessian-vector product benchmark.")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-frameworks", action="store_true", help="skip the JAX subprocess")
    ap.add_argument("--worker", choices=["tensorgrad", "jax"], help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        rows = tensorgrad_worker(a.quick) if a.worker == "tensorgrad" else jax_worker(a.quick)
        print(json.dumps(rows))
        return
    tgn = in_subprocess("tensorgrad", a.quick)
    if tgn is None:
        sys.exit(1)
    jx = None if a.no_frameworks else in_subprocess("jax", a.quick)
    print(report(tgn, jx))
    (ROOT / "bench" / "hvp.json").write_text(json.dumps({"tensorgrad": tgn, "jax": jx}, indent=1))


if __name__ == "__main__":
    main()
