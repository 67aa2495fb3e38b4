"""How derive + simplify time grows: depth-L tanh networks and repeated derivatives.

    python bench/scaling.py               # L = 1, 2, 4, ..., 32; orders 1..4; figures/scaling.png
    python bench/scaling.py --max-depth 16 --limit 30

* network: h_0 = x, h_k = tanh(W_k h_{k-1}), f = Σ h_L (all n×n weights); timed:
  the gradient wrt the first weight W_1 (the card's "derive + simplify of a depth-L
  network") and the Hessian wrt the input x;
* order: the k-th derivative (k = 1..4) of two small expressions, exp(-xᵀx) and
  Σ tanh(A x), each wrt x;
* compositions (issue 11): the Hessian of 2..5 stacked softmax layers, grad tr(A^p)
  for p up to 100, the layer-norm Hessian; nodes counted as a tree and distinct.

Every point is build + derive + simplify from fresh Variables (cold), median of a few
runs, in CPU seconds of this process (`time.process_time`: the shared machine's load
from other processes does not count). A series stops after the first level that takes longer than --limit seconds.
The growth exponent is the least-squares slope of log time against log L (over
L ≥ 2, where fixed overhead no longer dominates) and, for the order series, the
ratio of successive times. Results also go to bench/scaling.json.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import tensorgrad as tg  # noqa: E402


def tanh_net(L: int):
    x = tg.Variable("x", i0="n")
    Ws = [tg.Variable(f"W{k}", **{f"i{k + 1}": "n", f"i{k}": "n"}) for k in range(L)]
    h = x
    for W in Ws:
        h = tg.tanh(W @ h)
    return tg.sum(h), Ws[0], x


def net_grad(L: int):
    f, W0, _ = tanh_net(L)
    return tg.grad(f, W0).simplify()


def net_hessian(L: int):
    f, _, x = tanh_net(L)
    return tg.hessian(f, x).simplify()


def gauss(k: int):
    x = tg.Variable("x", i="n")
    d = tg.exp(-(x @ x))
    for _ in range(k):
        d = tg.derivative(d, x)
    return d.simplify()


def tanh_layer(k: int):
    A, x = tg.Variable("A", j="m", i="n"), tg.Variable("x", i="n")
    d = tg.sum(tg.tanh(A @ x))
    for _ in range(k):
        d = tg.derivative(d, x)
    return d.simplify()


def softmax_stack(L: int):
    """Hessian wrt x of Σ h_L², h_k = softmax(W_k h_{k-1}), h_0 = x."""
    x = tg.Variable("x", i0="n")
    h = x
    for k in range(L):
        h = tg.softmax(tg.Variable(f"W{k}", **{f"i{k + 1}": "n", f"i{k}": "n"}) @ h, f"i{k + 1}")
    return tg.hessian(tg.sum(h * h), x).simplify()


def matrix_power(A, p: int):
    M = A
    for _ in range(p - 1):
        M = M.rename(j="k") @ A.rename(i="k")
    return M


def trace_power(p: int):
    """grad(trace(A^p), A), A^p as a chain of p factors; the answer is p·(A^(p−1))ᵀ."""
    A = tg.Variable("A", i="n", j="n")
    return tg.grad(tg.trace(matrix_power(A, p)), A).simplify()


def is_trace_power_answer(g, p: int) -> bool:
    """One term, weight p, p − 1 factors A (the chain A^(p−1), transposed)."""
    if not (isinstance(g, tg.Sum) and len(g.terms) == 1 and g.weights[0] == p):
        return False
    t = g.terms[0]
    factors = t.factors if isinstance(t, tg.Product) else (t,)
    return len(factors) == p - 1 and all(isinstance(f, tg.Variable) and f.name == "A" for f in factors)


def layer_norm(_=None):
    """Hessian wrt x of Σ w ⊙ (x − mean)/sqrt(var + ε) (the card's layernorm)."""
    x, w = tg.Variable("x", i="n"), tg.Variable("w", i="n")
    inv_n = tg.delta("n") ** -1
    c = x - tg.sum(x) * inv_n * tg.ones(i="n")
    var = tg.sum(c * c) * inv_n
    return tg.hessian(tg.sum(w * c * (var + 1e-5) ** -0.5), x).simplify()


def terms(t) -> int:
    return len(t.terms) if isinstance(t, tg.Sum) else 1


def measure(fn, arg, limit: float):
    """(median CPU seconds, result); one run only when the first already takes > limit/10."""
    times, out = [], None
    for _ in range(3):
        t0 = time.process_time()
        out = fn(arg)
        times.append(time.process_time() - t0)
        if times[0] > limit / 10:
            break
    return statistics.median(times), out


def series(fn, levels, limit: float, label: str) -> list:
    rows = []
    for L in levels:
        sec, out = measure(fn, L, limit)
        rows.append({"level": L, "seconds": sec, "nodes": out.size(), "distinct": out.distinct_size(),
                     "terms": terms(out)})
        print(f"| {label} | {L} | {1e3 * sec:.1f} | {terms(out)} | {out.size()} | {out.distinct_size()} |", flush=True)
        if sec > limit:
            print(f"<!-- {label}: stopped after level {L} ({sec:.0f} s > {limit:.0f} s) -->", flush=True)
            break
    return rows


def slope(rows, key="seconds", start=2) -> float | None:
    """Least-squares slope of log(key) against log(level) over levels >= start."""
    pts = [(math.log(r["level"]), math.log(r[key])) for r in rows if r["level"] >= start and r[key] > 0]
    if len(pts) < 2:
        return None
    mx, my = statistics.fmean(p[0] for p in pts), statistics.fmean(p[1] for p in pts)
    return sum((a - mx) * (b - my) for a, b in pts) / sum((a - mx) ** 2 for a, _ in pts)


def plot(depth: dict, order: dict, path: Path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    for name, rows in depth.items():
        Ls = [r["level"] for r in rows]
        a1.loglog(Ls, [r["seconds"] for r in rows], "o-", base=2, label=f"{name} (slope {slope(rows):.2f})")
    if depth:
        rows = next(iter(depth.values()))
        L0, t0 = rows[1]["level"] if len(rows) > 1 else 1, rows[1]["seconds"] if len(rows) > 1 else rows[0]["seconds"]
        Ls = [r["level"] for r in rows]
        a1.loglog(Ls, [t0 * (L / L0) ** 1.5 for L in Ls], "k--", base=2, alpha=0.5, label="L^1.5 (target bound)")
    a1.set_xlabel("depth L")
    a1.set_ylabel("derive + simplify (s)")
    a1.set_title("depth-L tanh network")
    a1.legend(fontsize=8)
    for name, rows in order.items():
        a2.semilogy([r["level"] for r in rows], [r["seconds"] for r in rows], "o-", label=name)
    a2.set_xlabel("derivative order k")
    a2.set_ylabel("derive + simplify (s)")
    a2.set_title("k-th derivative of a small expression")
    a2.set_xticks([1, 2, 3, 4])
    a2.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-depth", type=int, default=32)
    ap.add_argument("--max-order", type=int, default=4)
    ap.add_argument("--limit", type=float, default=60.0, help="stop a series after a level slower than this (s)")
    ap.add_argument("--figure", default=str(ROOT / "figures" / "scaling.png"))
    ap.add_argument("--json", default=str(ROOT / "bench" / "scaling.json"))
    a = ap.parse_args(argv)

    levels = [L for L in (1, 2, 4, 8, 16, 32, 64) if L <= a.max_depth]
    print("## Growth with depth (depth-L tanh network, build + derive + simplify)\n")
    print("| series | L | median CPU ms | terms | nodes (tree) | distinct nodes |")
    print("|---|---:|---:|---:|---:|---:|")
    depth = {"gradient wrt W1": series(net_grad, levels, a.limit, "gradient wrt W1"),
             "Hessian wrt x": series(net_hessian, levels, a.limit, "Hessian wrt x")}
    print("\n## Growth with derivative order\n")
    print("| expression | k | median CPU ms | terms | nodes (tree) | distinct nodes |")
    print("|---|---:|---:|---:|---:|---:|")
    orders = list(range(1, a.max_order + 1))
    order = {"exp(-xᵀx)": series(gauss, orders, a.limit, "exp(-xᵀx)"),
             "Σ tanh(A x)": series(tanh_layer, orders, a.limit, "Σ tanh(A x)")}

    print("\n## Compositions (issue 11 targets)\n")
    print("| case | level | median CPU ms | terms | nodes (tree) | distinct nodes |")
    print("|---|---:|---:|---:|---:|---:|")
    comp = {"stacked softmax Hessian": series(softmax_stack, [2, 3, 4, 5], a.limit, "stacked softmax Hessian"),
            "grad tr(A^p)": series(trace_power, [10, 20, 50, 100], a.limit, "grad tr(A^p)"),
            "layer norm Hessian": series(layer_norm, [1], a.limit, "layer norm Hessian")}
    forms = {p: is_trace_power_answer(trace_power(p), p) for p in (10, 20) + ((50, 100) if len(comp["grad tr(A^p)"]) == 4 else ())}
    print("\ngrad tr(A^p) is p·(A^(p−1))ᵀ: " + ", ".join(f"p = {p}: {'yes' if ok else 'no'}" for p, ok in forms.items()))

    print("\n## Fitted growth\n")
    summary = {}
    for name, rows in depth.items():
        s_all, s_tail = slope(rows), slope(rows, start=rows[-3]["level"] if len(rows) >= 3 else 2)
        s_nodes = slope(rows, "nodes")
        summary[name] = {"time_exponent": s_all, "time_exponent_tail": s_tail, "nodes_exponent": s_nodes}
        print(f"* {name}: time ~ L^{s_all:.2f} (L ≥ 2), last three levels L^{s_tail:.2f}; "
              f"result size ~ L^{s_nodes:.2f}")
    for name, rows in order.items():
        ratios = [b["seconds"] / a_["seconds"] for a_, b in zip(rows, rows[1:])]
        summary[name] = {"ratios": ratios, "last_seconds": rows[-1]["seconds"], "last_order": rows[-1]["level"]}
        print(f"* {name}: order {rows[-1]['level']} in {rows[-1]['seconds']:.3f} s; time ratio per order "
              + ", ".join(f"{r:.1f}×" for r in ratios))
    plot(depth, order, Path(a.figure))
    hess = {r["level"]: r for r in depth["Hessian wrt x"]}
    sm = {r["level"]: r for r in comp["stacked softmax Hessian"]}
    tp = {r["level"]: r for r in comp["grad tr(A^p)"]}
    ln = comp["layer norm Hessian"][0]
    def sec(rows, k):
        return f"{rows[k]['seconds']:.3f} s" if k in rows else "not reached"

    growth = summary["Hessian wrt x"]["time_exponent"]
    checks = [("depth-32 tanh Hessian ≤ 0.3 s", 32 in hess and hess[32]["seconds"] <= 0.3, sec(hess, 32)),
              ("its growth ≤ L^1.5", growth is not None and growth <= 1.5, f"L^{growth:.2f}" if growth else "—"),
              ("4 stacked softmax layers ≤ 0.5 s", 4 in sm and sm[4]["seconds"] <= 0.5, sec(sm, 4)),
              ("5 stacked softmax layers ≤ 2 s", 5 in sm and sm[5]["seconds"] <= 2, sec(sm, 5)),
              ("grad tr(A^100) ≤ 0.5 s as p·(A^99)ᵀ", 100 in tp and tp[100]["seconds"] <= 0.5 and forms.get(100, False),
               sec(tp, 100) + ("" if forms.get(100, False) else ", not in that form")),
              ("layer norm Hessian ≤ 12 terms, ≤ 300 nodes", ln["terms"] <= 12 and ln["nodes"] <= 300,
               f"{ln['terms']} terms / {ln['nodes']} nodes")]
    print("\n## Targets\n")
    for name, ok, shown in checks:
        print(f"* {name}: {shown} — {'met' if ok else '**missed**'}")
    Path(a.json).write_text(json.dumps({"depth": depth, "order": order, "compositions": comp, "summary": summary},
                                       indent=1))
    fig = Path(a.figure).resolve()
    print(f"\nPlot: {fig.relative_to(ROOT) if fig.is_relative_to(ROOT) else fig}")


if __name__ == "__main__":
    main()
