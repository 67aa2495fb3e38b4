"""The ``tensorgrad`` command: derivatives of matrix notation from the shell.

    tensorgrad grad "norm2(A*x - b)^2" --wrt x
    tensorgrad hessian "norm2(A*x - b)^2" --wrt x --check
    tensorgrad jacobian "exp(A*x)" --wrt x --latex
    tensorgrad grad "x'*A*x" --wrt x --shapes "A:n,n x:n" --code numpy
    tensorgrad demo

Options: ``--shapes`` declares variables (``"A:m,n x:n t:"`` or JSON
``{"A": ["m", "n"]}``), ``--latex`` prints LaTeX, ``--index`` adds index notation and
the einsum string, ``--draw PATH`` draws the result, ``--steps PATH`` draws the
derivation, ``--code numpy|torch|jax`` prints Python code, ``--check`` compares with
central finite differences at random data (exit status 1 if they disagree),
``--no-simplify`` keeps the raw derivative.

Bad input (syntax, shapes, an unknown variable) exits with status 2 and a one-line
error naming the column or the name at fault.
"""

from __future__ import annotations

import argparse
import json
import sys

EXIT_BAD_INPUT = 2
EXIT_CHECK_FAILED = 1


class UsageError(Exception):
    """Bad input from the command line (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit status 2), like every other bad input."""

    def error(self, message):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _function_name(command: str, wrt: str) -> str:
    from .plan.backends import _ident
    return _ident(f"{command}_{wrt}")


# ---------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------


def parse_shapes(spec: str | None) -> dict | None:
    """``"A:m,n x:n t:"`` / ``"A=m×n; x=n"`` / JSON -> {"A": ("m", "n"), ...}."""
    if spec is None or not spec.strip():
        return None
    spec = spec.strip()
    if spec.startswith("{"):
        try:
            raw = json.loads(spec)
        except json.JSONDecodeError as e:
            raise UsageError(f"--shapes: invalid JSON at column {e.colno}: {e.msg}") from None
        if not isinstance(raw, dict):
            raise UsageError("--shapes: JSON must be an object mapping names to lists of dimension symbols")
        out = {}
        for k, v in raw.items():
            if isinstance(v, str):
                v = [v] if v else []
            if not isinstance(v, list) or not all(isinstance(d, str) and d for d in v):
                raise UsageError(f"--shapes: {k!r} must map to a list of dimension symbols, got {v!r}")
            out[k] = tuple(v)
        return out
    out = {}
    for item in spec.replace(";", " ").split():
        sep = ":" if ":" in item else "=" if "=" in item else None
        if sep is None:
            raise UsageError(f"--shapes: expected NAME:DIMS (e.g. A:m,n), got {item!r}")
        name, dims = item.split(sep, 1)
        dims = dims.strip().strip("()[]")
        parts = [d for d in dims.replace("×", ",").split(",") if d] if dims else []
        if not name.isidentifier():
            raise UsageError(f"--shapes: {name!r} is not a variable name")
        for d in parts:
            if not d.isidentifier():
                raise UsageError(f"--shapes: {d!r} (for {name}) is not a dimension symbol")
        out[name] = tuple(parts)
    return out


def _one_line(err: Exception) -> str:
    from .notation.parse import NotationError

    if isinstance(err, NotationError):
        return f"{err.reason} (column {err.column} of {err.text!r})"
    return str(err).splitlines()[0] if str(err) else type(err).__name__


# ---------------------------------------------------------------------------
# Derivation
# ---------------------------------------------------------------------------


def _describe_shape(dims: tuple) -> str:
    if not dims:
        return "scalar"
    return "×".join(dims)


def _derive(kind: str, text: str, wrt: str, shapes, simplify: bool):
    import tensorgrad as tg
    from .notation.parse import infer_shapes, parse, variables

    f = parse(text, shapes)
    vs = variables(text, shapes)
    if wrt not in vs:
        names = ", ".join(vs) or "none"
        raise UsageError(f"--wrt {wrt}: no variable {wrt!r} in {text!r} (its variables: {names})")
    x = vs[wrt]
    if kind == "grad" and f.edges:
        raise UsageError(
            f"grad needs a scalar function, but {text!r} has free edges {f.edges} "
            f"(dimensions {_describe_shape(tuple(f.dims.values()))}); use 'tensorgrad jacobian'"
        )
    if kind == "hessian" and f.edges:
        raise UsageError(f"hessian needs a scalar function, but {text!r} is not a scalar")
    if kind == "hessian":
        inner = tg.grad(f, x)
        result = tg.derivative(inner, x)
    else:
        inner = f
        result = tg.derivative(f, x)
    if simplify:
        result = result.simplify()
    return f, x, inner, result, infer_shapes(text, shapes)


def _roles(f, x, result):
    """Row / column edges for printing the derivative as a matrix (None if not 2-D)."""
    if len(result.edges) > 2:
        return None
    if len(f.edges) == 1 and len(x.edges) == 1:  # Jacobian of a vector: rows follow f
        return result.edges[0], result.edges[1]
    from .notation.printing import default_roles

    return default_roles(result)


def _symbol(kind: str, wrt: str) -> str:
    return {"grad": f"∇_{wrt} f", "hessian": f"∇²_{wrt} f", "jacobian": f"∂f/∂{wrt}"}[kind]


def _latex_symbol(kind: str, wrt: str) -> str:
    return {"grad": rf"\nabla_{{{wrt}}} f", "hessian": rf"\nabla^2_{{{wrt}}} f",
            "jacobian": rf"\frac{{\partial f}}{{\partial {wrt}}}"}[kind]


# ---------------------------------------------------------------------------
# Finite-difference check
# ---------------------------------------------------------------------------


def _random_values(shapes: dict, sizes: dict, rng):
    import numpy as np

    values = {}
    for name, dims in shapes.items():
        shape = [sizes[d] for d in dims]
        if len(dims) == 2 and dims[0] == dims[1]:
            n = shape[0]
            values[name] = n * np.eye(n) + rng.uniform(-0.3, 0.3, size=shape)  # well conditioned, det > 0
        elif dims:
            values[name] = rng.uniform(0.5, 1.5, size=shape)
        else:
            values[name] = float(rng.uniform(0.5, 1.5))
    return values


def finite_difference_check(inner, x, result, shapes: dict, seed: int = 0, h: float = 1e-6):
    """Compare ``result`` (= derivative of ``inner`` wrt ``x``) with central differences.

    Returns (max abs error, relative error, number of entries compared, sizes).
    """
    import numpy as np

    import tensorgrad as tg

    symbols = sorted({d for dims in shapes.values() for d in dims} | set(result.dims.values()) | set(inner.dims.values()))
    sizes = {d: 2 + k % 3 for k, d in enumerate(symbols)}
    rng = np.random.default_rng(seed)
    for attempt in range(8):
        values = _random_values(shapes, sizes, rng)
        try:
            with np.errstate(all="ignore"):
                d_sym = np.asarray(tg.evaluate(result, values, dims=sizes), dtype=float)
                base = np.asarray(tg.evaluate(inner, values, dims=sizes), dtype=float)
        except ValueError:
            raise
        if np.all(np.isfinite(d_sym)) and np.all(np.isfinite(base)):
            break
    else:
        raise UsageError("--check: the function is not finite at random points; cannot check")
    x0 = np.asarray(values[x.name], dtype=float)
    flat_x = x0.reshape(-1)
    n_out = base.size
    fd = np.zeros((n_out, flat_x.size))
    for k in range(flat_x.size):
        step = h * max(1.0, abs(flat_x[k]))
        plus, minus = flat_x.copy(), flat_x.copy()
        plus[k] += step
        minus[k] -= step
        vp = dict(values)
        vm = dict(values)
        vp[x.name] = plus.reshape(x0.shape) if x0.shape else float(plus[0])
        vm[x.name] = minus.reshape(x0.shape) if x0.shape else float(minus[0])
        with np.errstate(all="ignore"):
            fp = np.asarray(tg.evaluate(inner, vp, dims=sizes), dtype=float).reshape(-1)
            fm = np.asarray(tg.evaluate(inner, vm, dims=sizes), dtype=float).reshape(-1)
        fd[:, k] = (fp - fm) / (2 * step)
    # the symbolic result has edges inner.edges + new edges in x's order
    sym = d_sym.reshape(n_out, flat_x.size)
    err = float(np.max(np.abs(sym - fd))) if sym.size else 0.0
    scale = max(1.0, float(np.max(np.abs(fd))) if fd.size else 1.0)
    return err, err / scale, sym.size, sizes


# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------


def _run_derivative(args, out) -> int:
    from .notation.printing import kron_convention, kron_edges, to_index, to_latex, to_matrix, to_notation_ast

    shapes = parse_shapes(args.shapes)
    f, x, inner, result, inferred = _derive(args.command, args.expression, args.wrt, shapes, not args.no_simplify)
    roles = _roles(f, x, result)
    rows, cols = roles if roles else (None, None)

    def show(t, r=None, c=None):
        if args.latex:
            return to_latex(t, r, c, simplify=False)
        return to_matrix(t, r, c, simplify=False)

    fs = f.simplify() if not args.no_simplify else f
    shape_text = ", ".join(f"{n}: {_describe_shape(d)}" for n, d in inferred.items())
    try:  # without a matrix reading, show() already prints index notation
        ast_text = str(to_notation_ast(result, rows, cols))
        has_matrix = True
    except ValueError:
        ast_text, has_matrix = "", False
    if args.latex:
        print(f"f = {show(fs)}", file=out)
        print(f"{_latex_symbol(args.command, args.wrt)} = {show(result, rows, cols)}", file=out)
    else:
        print(f"f = {show(fs)}", file=out)
        print(f"shapes: {shape_text}", file=out)
        print(f"{_symbol(args.command, args.wrt)} = {show(result, rows, cols)}", file=out)
    if "kron(" in ast_text:  # P ⊗ Q depends on how 4-tensors are flattened: say how
        print(f"({kron_convention(kron_edges(result))})", file=out)
    if args.index and has_matrix:
        print(to_index(result), file=out)
    if args.code:
        print(_to_code()(result, backend=args.code, name=_function_name(args.command, args.wrt)), file=out)
    if args.draw:
        _draw(result, args.draw)
        print(f"drew {args.draw}", file=out)
    if args.steps:
        _draw_steps(inner, x, args.steps)
        print(f"drew the derivation {args.steps}", file=out)
    if args.check:
        err, rel, n, sizes = finite_difference_check(inner, x, result, inferred)
        ok = rel < 1e-5
        dims = ", ".join(f"{d}={s}" for d, s in sizes.items())
        verdict = "OK" if ok else "MISMATCH"
        print(
            f"check: max |symbolic - finite difference| = {err:.2e} (relative {rel:.2e}) "
            f"over {n} entries at random data ({dims}): {verdict}",
            file=out,
        )
        if not ok:
            return EXIT_CHECK_FAILED
    return 0


def _to_code():
    import tensorgrad as tg

    to_code = getattr(tg, "to_code", None)
    if not callable(to_code):
        from .export import to_code
    return to_code


def _draw(t, path):
    import tensorgrad as tg

    draw = getattr(tg, "draw", None)
    if not callable(draw):  # tg.draw may be the subpackage before it is exported
        from .draw import draw
    draw(t, path)


def _draw_steps(t, x, path):
    import tensorgrad as tg

    draw_steps = getattr(tg, "draw_steps", None)
    if not callable(draw_steps):
        from .draw import draw_steps
    draw_steps(t, wrt=x, path=path)


def _run_demo(args, out) -> int:
    """The README's main job: ‖Ax − b‖² and a small composition, derived, printed,
    checked against finite differences, and (with --out) drawn and exported."""
    import os

    jobs = [
        ("grad", "norm2(A*x - b)^2", "x"),
        ("hessian", "norm2(A*x - b)^2", "x"),
        ("grad", "log(1 + exp(a'*x)) + norm2(x)^2/2", "x"),
        ("grad", "tr(A*X)", "X"),
    ]
    status = 0
    if args.out:
        os.makedirs(args.out, exist_ok=True)
    for k, (kind, text, wrt) in enumerate(jobs):
        print(f"$ tensorgrad {kind} {text!r} --wrt {wrt} --check", file=out)
        ns = argparse.Namespace(
            command=kind, expression=text, wrt=wrt, shapes=None, latex=False, index=False, code=None,
            draw=None, steps=None, check=True, no_simplify=False,
        )
        if args.out:
            ns.draw = os.path.join(args.out, f"{k + 1}_{kind}_{wrt}.png")
        status = max(status, _run_derivative(ns, out))
        if args.out:
            f, x, inner, result, _ = _derive(kind, text, wrt, None, True)
            path = os.path.join(args.out, f"{k + 1}_{kind}_{wrt}.py")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(_to_code()(result, name=_function_name(kind, wrt)))
            print(f"wrote {path}", file=out)
        print(file=out)
    return status


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tensorgrad", allow_abbrev=False,
        description="Symbolic gradients, Jacobians and Hessians of matrix expressions.",
        epilog='example: tensorgrad grad "norm2(A*x - b)^2" --wrt x --check',
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for kind, helptext in (
        ("grad", "gradient of a scalar expression"),
        ("hessian", "Hessian of a scalar expression"),
        ("jacobian", "Jacobian (derivative) of any expression"),
    ):
        p = sub.add_parser(kind, help=helptext, description=f"{helptext.capitalize()} in matrix notation.",
                           allow_abbrev=False)
        p.add_argument("expression", help="matrix notation, e.g. \"norm2(A*x - b)^2\" or \"x.T @ A @ x\"")
        p.add_argument("--wrt", required=True, metavar="NAME", help="the variable to differentiate with respect to")
        p.add_argument("--shapes", metavar="SPEC", help='declare variables: "A:m,n x:n t:" or JSON {"A": ["m","n"]}')
        p.add_argument("--latex", action="store_true", help="print LaTeX instead of Unicode")
        p.add_argument("--index", action="store_true", help="also print index notation and the einsum string")
        p.add_argument("--draw", metavar="PATH", help="draw the result (PNG, SVG or PDF)")
        p.add_argument("--steps", metavar="PATH", help="draw the derivation step by step")
        p.add_argument("--code", choices=("numpy", "torch", "jax"), help="print Python code computing the result")
        p.add_argument("--check", action="store_true", help="compare with finite differences at random data")
        p.add_argument("--no-simplify", action="store_true", help="print the derivative without simplifying")
    d = sub.add_parser("demo", help="run the main example (‖Ax − b‖² and friends)")
    d.add_argument("--out", metavar="DIR", help="also draw figures and export code into DIR")
    return parser


def main(argv=None) -> int:
    """Entry point of the ``tensorgrad`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(_expression_not_an_option(parser, sys.argv[1:] if argv is None else list(argv)))
    out = sys.stdout
    from .deep import on_big_stack
    try:  # on a large stack: 150 nested parentheses are input like any other
        if args.command == "demo":
            return on_big_stack(_run_demo, args, out)
        return on_big_stack(_run_derivative, args, out)
    except OSError as e:  # an output path that cannot be written
        where = f" {e.filename!r}" if e.filename else ""
        print(f"tensorgrad: error: cannot write{where}: {e.strerror or e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (UsageError, ValueError, TypeError, ArithmeticError, LookupError) as e:
        print(f"tensorgrad: error: {_one_line(e)}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _expression_not_an_option(parser, argv: list) -> list:
    """An expression may start with '-' (``tensorgrad grad "-x'*x" --wrt x``): the
    first argument after the command that starts with '-' but is no option is the
    expression; a leading space keeps argparse from reading it as an option (the
    notation ignores spaces)."""
    argv = list(argv)
    if not argv or argv[0] not in ("grad", "hessian", "jacobian"):
        return argv
    options = {"-h", "--help", "--wrt", "--shapes", "--latex", "--index", "--draw", "--steps", "--code", "--check",
               "--no-simplify"}
    takes_value = {"--wrt", "--shapes", "--draw", "--steps", "--code"}
    k = 1
    while k < len(argv):
        a = argv[k]
        if a == "--":
            break
        if a.split("=", 1)[0] in options:
            k += 2 if a in takes_value else 1
            continue
        if a.startswith("-"):
            argv[k] = " " + a
        break
    return argv


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
