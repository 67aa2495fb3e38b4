"""Second card (../shared/BENCHMARKS.md): compositions. tg.evaluate vs the exported NumPy
code vs JAX jit, timed round-robin in one process (float64, 2 threads), with what the
plan does per case: contractions, temporaries, peak memory, plan-compile time, and
first-call vs steady-state time.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python -m bench.compositions [--quick]

Ratios > 1 mean tensorgrad is faster. The machine is shared: quote ratios, and rerun
when two runs disagree.
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads=2")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.run import rel_err, timeset  # noqa: E402

CASES = ["mlp2", "deep4", "attention", "layernorm", "nll", "hvp_lsq", "hvp_mlp2"]
LABEL = {"mlp2": "mlp2 Hessian wrt W₁ (64×32)", "deep4": "deep4 Hessian wrt x (width 64)",
         "attention": "attention Hessian wrt Q (64×32)", "layernorm": "layernorm Hessian (n = 512)",
         "nll": "nll gradient wrt Σ (n = 300)", "hvp_lsq": "hvp_lsq (n = 4000)",
         "hvp_mlp2": "hvp_mlp2 (W₁ 256×128)"}


def inputs(case: str) -> dict:
    rng = np.random.default_rng(0)
    if case == "mlp2":
        return {"W1": rng.normal(size=(64, 32)) / 6, "W2": rng.normal(size=(10, 64)) / 8,
                "x": rng.normal(size=32), "y": rng.normal(size=10)}
    if case == "deep4":
        return {**{f"W{k}": rng.normal(size=(64, 64)) / 8 for k in range(1, 5)}, "x": rng.normal(size=64)}
    if case == "attention":
        return {"Q": rng.normal(size=(64, 32)) / 6, "K": rng.normal(size=(64, 32)) / 6, "V": rng.normal(size=(64, 32))}
    if case == "layernorm":
        return {"x": rng.normal(size=512), "w": rng.normal(size=512)}
    if case == "nll":
        a = rng.normal(size=(300, 300))
        return {"S": a @ a.T / 300 + np.eye(300), "x": rng.normal(size=300), "mu": rng.normal(size=300)}
    from bench import hvp
    return hvp.inputs(case)


def symbolic(case: str):
    """(simplified tensorgrad expression, its variables' names in JAX argument order)."""
    import tensorgrad as tg
    if case in ("hvp_lsq", "hvp_mlp2"):
        from bench import hvp
        return hvp.symbolic(case)[0].simplify()
    if case == "mlp2":
        W1, W2 = tg.Variable("W1", h="H", i="n"), tg.Variable("W2", o="O", h="H")
        x, y = tg.Variable("x", i="n"), tg.Variable("y", o="O")
        r = W2 @ tg.tanh(W1 @ x) - y
        return tg.hessian(r @ r, W1).simplify()
    if case == "deep4":
        x = tg.Variable("x", i="n")
        h = x
        for k in range(1, 5):
            W = tg.Variable(f"W{k}", o="n", i="n")
            h = tg.tanh(W @ h).rename(o="i")
        return tg.hessian(tg.sum(h), x).simplify()
    if case == "attention":
        Q, K, V = tg.Variable("Q", s="L", d="D"), tg.Variable("K", t="L", d="D"), tg.Variable("V", t="L", e="D")
        a = tg.softmax(Q @ K, "t") @ V
        return tg.hessian(tg.sum(a * a), Q).simplify()
    if case == "layernorm":
        x, w = tg.Variable("x", i="n"), tg.Variable("w", i="n")
        ones = tg.ones(i="n")
        n = tg.sum(ones)
        c = x - tg.sum(x) / n * ones
        var = tg.sum(c * c) / n
        f = tg.sum(w * c * (var + 1e-5) ** -0.5)
        return tg.hessian(f, x).simplify()
    if case == "nll":
        S, x, mu = tg.Variable("S", i="n", j="n"), tg.Variable("x", i="n"), tg.Variable("mu", i="n")
        d = x - mu
        f = tg.logdet(S) + d @ tg.inverse(S) @ d.rename(i="j")
        return tg.grad(f, S).simplify()
    raise KeyError(case)


def jax_fn(case: str, v: dict):
    """(jitted JAX function, its arguments): Hessians as jacfwd∘jacrev, the gradient as
    grad, HVPs as jvp∘grad."""
    import jax
    import jax.numpy as jnp
    a = {k: jnp.asarray(x) for k, x in v.items()}
    if case == "mlp2":
        f = lambda W1, W2, x, y: jnp.sum((W2 @ jnp.tanh(W1 @ x) - y) ** 2)  # noqa: E731
        return jax.jit(jax.jacfwd(jax.jacrev(f))), (a["W1"], a["W2"], a["x"], a["y"])
    if case == "deep4":
        def f(x, W1, W2, W3, W4):
            for W in (W1, W2, W3, W4):
                x = jnp.tanh(W @ x)
            return jnp.sum(x)
        return jax.jit(jax.jacfwd(jax.jacrev(f))), (a["x"], a["W1"], a["W2"], a["W3"], a["W4"])
    if case == "attention":
        def f(Q, K, V):
            o = jax.nn.softmax(Q @ K.T, axis=1) @ V
            return jnp.sum(o * o)
        return jax.jit(jax.jacfwd(jax.jacrev(f))), (a["Q"], a["K"], a["V"])
    if case == "layernorm":
        def f(x, w):
            c = x - jnp.mean(x)
            return jnp.sum(w * c / jnp.sqrt(jnp.mean(c * c) + 1e-5))
        return jax.jit(jax.jacfwd(jax.jacrev(f))), (a["x"], a["w"])
    if case == "nll":
        def f(S, x, mu):
            d = x - mu
            return jnp.linalg.slogdet(S)[1] + d @ jnp.linalg.solve(S, d)
        return jax.jit(jax.grad(f)), (a["S"], a["x"], a["mu"])
    if case == "hvp_lsq":
        f = lambda x, A, b: jnp.sum((A @ x - b) ** 2)  # noqa: E731
        g = jax.jit(lambda x, v, A, b: jax.jvp(lambda q: jax.grad(f)(q, A, b), (x,), (v,))[1])
        return g, (a["x"], a["v"], a["A"], a["b"])
    if case == "hvp_mlp2":
        f = lambda W1, W2, x, y: jnp.sum((W2 @ jnp.tanh(W1 @ x) - y) ** 2)  # noqa: E731
        g = jax.jit(lambda W1, V, W2, x, y: jax.jvp(lambda q: jax.grad(f)(q, W2, x, y), (W1,), (V,))[1])
        return g, (a["W1"], a["V"], a["W2"], a["x"], a["y"])
    raise KeyError(case)


def run(case: str, quick: bool, with_jax: bool) -> dict:
    import tensorgrad as tg
    from tensorgrad.evaluate import plan_report, variables_of
    v = inputs(case)
    expr = symbolic(case)
    t0 = time.perf_counter()
    first = tg.evaluate(expr, v)
    first_ms = 1e3 * (time.perf_counter() - t0)
    rep = plan_report(expr, v)
    sizes = {d: n for var in variables_of(expr)
             for d, n in zip(var.dim_symbols, np.shape(v[var.name]))}
    fn = tg.compile(expr, sizes=sizes)
    args = [v[p] for p in inspect.signature(fn).parameters]
    fns = [lambda: tg.evaluate(expr, v), lambda: fn(*args)]
    row = {"first_ms": first_ms, "contractions": rep["contractions"], "temporaries": rep["temporaries"],
           "peak_mb": rep["peak_bytes"] / 1e6, "compile_ms": 1e3 * rep["compile_s"]}
    if with_jax:
        jf, jargs = jax_fn(case, v)
        want = np.asarray(jf(*jargs))
        fns.append(lambda: jf(*jargs).block_until_ready())
        row["err"] = max(rel_err(first, want), rel_err(fn(*args), want))
    times = timeset(fns, min_time=0.5 if quick else 2.0)
    row["evaluate_ms"], row["exported_ms"] = times[0], times[1]
    if with_jax:
        row["jax_ms"] = times[2]
    return row


def kernel() -> str:
    try:
        from threadpoolctl import threadpool_info
        return ", ".join(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} ({i.get('num_threads')} threads)"
                         for i in threadpool_info() if i.get("user_api") == "blas")
    except ImportError:
        return "threadpoolctl not installed"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--cases", nargs="*", default=CASES)
    args = ap.parse_args(argv)
    try:
        import jax
        jax.config.update("jax_enable_x64", True)
        with_jax = True
    except ImportError:
        with_jax = False
    print(f"BLAS: {kernel()}; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}, "
          f"OPENBLAS_L2_SIZE={os.environ.get('OPENBLAS_L2_SIZE', 'unset')}\n")
    print("| case | evaluate (ms) | exported (ms) | JAX jit (ms) | JAX / evaluate | JAX / exported | evaluate / exported "
          "| first call (ms) | plan compile (ms) | contractions | temporaries | peak memory (MB) | error vs JAX |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for case in args.cases:
        r = run(case, args.quick, with_jax)
        j = r.get("jax_ms")
        cells = [LABEL[case], f"{r['evaluate_ms']:.3g}", f"{r['exported_ms']:.3g}", f"{j:.3g}" if j else "—",
                 f"{j / r['evaluate_ms']:.2f}×" if j else "—", f"{j / r['exported_ms']:.2f}×" if j else "—",
                 f"{r['evaluate_ms'] / r['exported_ms']:.2f}×", f"{r['first_ms']:.0f}", f"{r['compile_ms']:.0f}",
                 str(r["contractions"]), str(r["temporaries"]), f"{r['peak_mb']:.2f}",
                 f"{r['err']:.1e}" if "err" in r else "—"]
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
