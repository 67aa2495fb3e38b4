"""Symbolic benchmark: build + differentiate + simplify for every case of the
benchmark card (../shared/BENCHMARKS.md), in one process, after import.

    python bench/symbolic.py             # full table
    python bench/symbolic.py --repeat 3  # fewer repeats

Each run rebuilds the expression from fresh Variables, so no cached
simplification or canonical key survives from one run to the next (cold runs).
Prints markdown tables: median time, terms and nodes of the simplified result,
whether the card's closed form is reached (checked with tg.equivalent); then the
growth of derive + simplify with the depth of a tanh network, and a 4th derivative.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import tensorgrad as tg  # noqa: E402
from tensorgrad import closed_forms  # noqa: E402


def sq(t):
    return tg.sum(t * t)


# ---------------------------------------------------------------------------
# Cases: build() -> (result, closed form or None); result = the simplified derivative
# ---------------------------------------------------------------------------

def lsq():
    A, x, b = tg.Variable("A", i="m", j="n"), tg.Variable("x", j="n"), tg.Variable("b", i="m")
    H = tg.hessian(sq(A @ x - b), x).simplify()
    return H, 2 * (A @ A.rename(j="j'"))


def quad():
    A, x = tg.Variable("A", i="n", j="n"), tg.Variable("x", i="n")
    H = tg.hessian(x @ A @ x.rename(i="j"), x).simplify()
    return H, A.rename(j="i'") + A.rename(i="i'", j="i")


def logreg():
    X, w, y = tg.Variable("X", n="N", d="D"), tg.Variable("w", d="D"), tg.Variable("y", n="N")
    H = tg.hessian(tg.sum(tg.log(1 + tg.exp(-y * (X @ w)))), w).simplify()
    z = y * (X @ w)
    c = tg.sigmoid(-z) * tg.sigmoid(z) * y ** 2          # σ(1 − σ) y², one copy-tensor network
    return H, (X * c) @ X.rename(d="d'")


def mf():
    T, U, V = tg.Variable("T", i="n", j="m"), tg.Variable("U", i="n", k="r"), tg.Variable("V", j="m", k="r")
    H = tg.hessian(sq(T - U @ V), U).simplify()
    return H, 2 * (tg.delta("n", "i", "i'") @ (V @ V.rename(k="k'")))


def logdet_grad():
    X = tg.Variable("X", i="n", j="n")
    return tg.grad(tg.logdet(X), X).simplify(), tg.inverse(X)


def logdet_hess():
    X = tg.Variable("X", i="n", j="n")
    Y = tg.inverse(X)
    return tg.hessian(tg.logdet(X), X).simplify(), -(Y.rename(j="j'") @ Y.rename(i="i'"))


def softmax_ce():
    z, y = tg.Variable("z", i="n"), tg.Variable("y", i="n")
    closed_forms.assume_sums_to_one(y)  # y one-hot / a probability vector (declared)
    H = tg.hessian(-(y @ tg.log(tg.softmax(z, "i"))), z).simplify()
    p = tg.softmax(z, "i")
    return H, p * tg.delta("n", "i", "i'") - p @ p.rename(i="i'")


def mlp():
    W1, W2 = tg.Variable("W1", h="H", j="n"), tg.Variable("W2", o="O", h="H")
    x, y = tg.Variable("x", j="n"), tg.Variable("y", o="O")
    return tg.hessian(sq(W2 @ tg.tanh(W1 @ x) - y), W1).simplify(), None


def det_lemma():
    x = tg.Variable("x", i="n")
    H = tg.hessian(tg.det(tg.delta("n", "i", "j") + x * x.rename(i="j")), x).simplify()
    return H, 2 * tg.delta("n", "i", "i'")


def attention():
    Q, K, V = tg.Variable("Q", s="S", d="D"), tg.Variable("K", t="S", d="D"), tg.Variable("V", t="S", e="E")
    return tg.hessian(sq(tg.softmax(Q @ K, "t") @ V), Q).simplify(), None


CASES = {"lsq": lsq, "quad": quad, "logreg": logreg, "mf": mf, "logdet (gradient)": logdet_grad,
         "logdet (Hessian)": logdet_hess, "softmax_ce": softmax_ce, "mlp": mlp, "det_lemma": det_lemma,
         "attention": attention}
TARGET_MS = {"det_lemma": 200.0}


def terms(t) -> int:
    return len(t.terms) if isinstance(t, tg.Sum) else 1


def timed(fn, repeat: int):
    times, out = [], None
    for _ in range(repeat):
        closed_forms.forget_assumptions()
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


# ---------------------------------------------------------------------------
# Growth with depth, and a 4th derivative
# ---------------------------------------------------------------------------

def tanh_net(L: int):
    x = tg.Variable("x", i0="n")
    Ws = [tg.Variable(f"W{k}", **{f"i{k + 1}": "n", f"i{k}": "n"}) for k in range(L)]
    h = x
    for k, W in enumerate(Ws):
        h = tg.tanh(W @ h)
    return tg.grad(tg.sum(h), Ws[0]).simplify()


def fourth_derivative():
    x = tg.Variable("x", i="n")
    f = tg.exp(-(x @ x))
    d = f
    for _ in range(4):
        d = tg.derivative(d, x)
    return d.simplify()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--max-depth", type=int, default=32)
    args = ap.parse_args(argv)

    print(f"## Symbolic: build + derive + simplify (median of {args.repeat} cold runs)\n")
    print("| case | median ms | target ms | terms | nodes (tree) | distinct nodes | closed form |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, fn in CASES.items():
        sec, (result, closed) = timed(fn, args.repeat)
        reached = "—" if closed is None else ("yes" if tg.equivalent(result, closed) else "NO")
        closed_forms.forget_assumptions()
        target = TARGET_MS.get(name, 50.0)
        print(f"| {name} | {1e3 * sec:.1f} | {target:.0f} | {terms(result)} | {result.size()} | {result.distinct_size()} | {reached} |")

    print("\n## Growth: gradient of a depth-L tanh network wrt its first weight\n")
    print("| L | median ms | nodes (tree) | distinct nodes | exponent vs previous |")
    print("|---:|---:|---:|---:|---:|")
    prev, points = None, []
    L = 1
    while L <= args.max_depth:
        sec, out = timed(lambda: tanh_net(L), max(1, min(args.repeat, 3 if L >= 16 else args.repeat)))
        exp_ = "" if prev is None else f"{math.log(sec / prev[1]) / math.log(L / prev[0]):.2f}"
        print(f"| {L} | {1e3 * sec:.1f} | {out.size()} | {out.distinct_size()} | {exp_} |")
        prev = (L, sec)
        points.append((math.log(L), math.log(sec)))
        L *= 2
    if len(points) > 1:
        mx = statistics.fmean(p for p, _ in points)
        my = statistics.fmean(q for _, q in points)
        slope = sum((p - mx) * (q - my) for p, q in points) / sum((p - mx) ** 2 for p, _ in points)
        print(f"\nleast-squares growth exponent over L = 1..{args.max_depth}: {slope:.2f} (target <= 1.5)")

    sec, out = timed(fourth_derivative, max(1, args.repeat // 2))
    print(f"\n4th derivative of exp(-xᵀx): {sec:.3f} s, {terms(out)} terms, {out.size()} nodes")


if __name__ == "__main__":
    main()
