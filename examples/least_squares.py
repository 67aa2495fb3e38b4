"""The main job: derive, simplify, check, draw and export gradients and Hessians.

Run:  python examples/least_squares.py [output folder]

1. f(x) = ‖A x − b‖²: gradient 2Aᵀ(Ax − b) and Hessian 2AᵀA.
2. a small composition g(x) = log Σᵢ exp((A x)ᵢ) + ‖x‖: gradient and Hessian.
Each result is printed in matrix (and index) notation, checked against central
finite differences, drawn to PNG diagrams (the derivation step by step and the
Hessian) and exported as standalone NumPy code, all in the output folder.
"""

import inspect
import sys
from pathlib import Path

import numpy as np

import tensorgrad as tg
from tensorgrad.numcheck import finite_difference


def report(title, slug, f, x, values, out: Path):
    print(f"=== {title}")
    print("f       =", tg.to_matrix(f))
    g = tg.grad(f, x).simplify()
    H = tg.hessian(f, x).simplify()
    print("grad    =", tg.to_matrix(g))
    print("hessian =", tg.to_matrix(H))
    print("  index notation:", H)
    err_g = np.max(np.abs(tg.evaluate(g, values) - finite_difference(f, x, values)))
    err_H = np.max(np.abs(tg.evaluate(H, values) - finite_difference(tg.grad(f, x), x, values)))
    print(f"check   : |grad - finite diff| = {err_g:.1e}, |hessian - finite diff| = {err_H:.1e}")
    if max(err_g, err_H) > 1e-5:
        raise SystemExit(f"{title}: symbolic and numeric derivatives disagree")
    tg.draw_steps(f, wrt=x, path=out / f"{slug}_gradient_steps.png")
    tg.draw(H, path=out / f"{slug}_hessian.png")
    code = tg.to_code({"value": f, "grad": g, "hessian": H}, name=slug)
    (out / f"{slug}.py").write_text(code)
    fn = tg.compile({"value": f, "grad": g, "hessian": H})
    params = inspect.signature(fn).parameters
    exported = fn(**{v.name: a for v, a in values.items() if v.name in params})
    err_code = np.max(np.abs(exported["hessian"] - tg.evaluate(H, values)))
    print(f"files   : {slug}_gradient_steps.png, {slug}_hessian.png, {slug}.py (exported code matches to {err_code:.1e})")
    return g, H


def main(out: Path):
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    A = tg.Variable("A", i="m", j="n")
    x = tg.Variable("x", j="n")
    b = tg.Variable("b", i="m")
    values = {A: rng.normal(size=(5, 3)), x: rng.normal(size=3), b: rng.normal(size=5)}

    r = A @ x - b
    g, H = report("least squares ‖Ax − b‖²", "least_squares", r @ r, x, values, out)
    assert tg.equivalent(H, 2 * (A @ A.rename(j="j'"))), "Hessian should be exactly 2AᵀA"
    print("closed form: hessian is equivalent to 2 AᵀA")

    comp = tg.log(tg.sum(tg.exp(A @ x))) + tg.norm(x)
    report("composition log Σ exp(Ax) + ‖x‖", "composition", comp, x, values, out)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "out"))
