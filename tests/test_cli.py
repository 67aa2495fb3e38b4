"""End-to-end tests of the ``tensorgrad`` command, run in a subprocess."""

import re
import subprocess
import sys

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.cli import UsageError, finite_difference_check, main, parse_shapes
from tensorgrad.notation.parse import infer_shapes, parse, variables


def run(*args, cwd=None):
    proc = subprocess.run(
        [sys.executable, "-m", "tensorgrad.cli", *args],
        capture_output=True, text=True, encoding="utf-8", cwd=cwd, timeout=300,
    )
    return proc.returncode, proc.stdout, proc.stderr


def check_error(stdout):
    m = re.search(r"check: max \|symbolic - finite difference\| = (\S+) \(relative (\S+)\)", stdout)
    assert m, stdout
    return float(m.group(1)), float(m.group(2))


def test_grad():
    rc, out, err = run("grad", "norm2(A*x - b)^2", "--wrt", "x")
    assert rc == 0, err
    assert "∇_x f = 2Aᵀ(A x − b)" in out
    assert "shapes: A: m×n, x: n, b: m" in out


def test_hessian_with_check():
    rc, out, err = run("hessian", "norm2(A*x - b)^2", "--wrt", "x", "--check")
    assert rc == 0, err
    assert "∇²_x f = 2Aᵀ A" in out
    abs_err, rel_err = check_error(out)
    assert abs_err < 1e-6 and rel_err < 1e-6
    assert out.rstrip().endswith("OK")


def test_jacobian():
    rc, out, err = run("jacobian", "A*x", "--wrt", "x")
    assert rc == 0, err
    assert "∂f/∂x = A" in out
    rc, out, err = run("jacobian", "exp(A*x)", "--wrt", "x", "--check")
    assert rc == 0, err
    assert "∂f/∂x = diag(exp(A x)) A" in out
    assert check_error(out)[1] < 1e-6


def test_jacobian_of_a_tensor_prints_index_notation():
    rc, out, err = run("jacobian", "A*x", "--wrt", "A", "--check")
    assert rc == 0, err
    assert "∂f/∂A = T[i,i',j] = x[j] δ[i,i']" in out
    assert "einsum" in out
    assert check_error(out)[1] < 1e-6


def test_latex():
    rc, out, err = run("grad", "norm2(A*x - b)^2", "--wrt", "x", "--latex")
    assert rc == 0, err
    assert r"\nabla_{x} f = 2 A^{\top}\left(A x - b\right)" in out


def test_index():
    rc, out, err = run("hessian", "norm2(A*x - b)^2", "--wrt", "x", "--index")
    assert rc == 0, err
    assert "T[i,i'] = 2 A[a,i] A[a,i']" in out
    assert "einsum: ai,aj->ij" in out


def test_shapes_option():
    rc, out, err = run("grad", "x'*A*x", "--wrt", "x", "--shapes", "A:p,p x:p")
    assert rc == 0, err
    assert "shapes: x: p, A: p×p" in out
    rc, out, err = run("grad", "x'*A*x", "--wrt", "x", "--shapes", '{"A": ["q", "q"], "x": ["q"]}', "--check")
    assert rc == 0, err
    assert "shapes: x: q, A: q×q" in out and "q=" in out
    # a scalar declared with an empty shape
    rc, out, err = run("grad", "t*x'*x", "--wrt", "t", "--shapes", "t:")
    assert rc == 0, err
    assert "∇_t f = ‖x‖²" in out


def test_code_numpy_runs_and_agrees():
    rc, out, err = run("grad", "x'*A*x", "--wrt", "x", "--code", "numpy")
    assert rc == 0, err
    code = out[out.index("#"):]
    namespace = {}
    exec(code, namespace)
    rng = np.random.default_rng(0)
    A, x = rng.standard_normal((3, 3)), rng.standard_normal(3)
    np.testing.assert_allclose(namespace["grad_x"](A, x), (A + A.T) @ x)


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_code_other_backends(backend):
    rc, out, err = run("grad", "x'*A*x", "--wrt", "x", "--code", backend)
    assert rc == 0, err
    assert "def grad_x(" in out
    assert backend in out


def test_draw_and_steps(tmp_path):
    png, steps = tmp_path / "g.png", tmp_path / "steps.png"
    rc, out, err = run("grad", "norm2(A*x - b)^2", "--wrt", "x", "--draw", str(png), "--steps", str(steps))
    assert rc == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert steps.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"drew {png}" in out


def test_no_simplify():
    rc, out, err = run("grad", "x'*x", "--wrt", "x", "--no-simplify")
    assert rc == 0, err
    assert "∇_x f = " in out
    rc2, out2, _ = run("grad", "x'*x", "--wrt", "x")
    assert "∇_x f = 2x" in out2


def test_demo(tmp_path):
    rc, out, err = run("demo", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert rc == 0, err
    assert "∇_x f = 2Aᵀ(A x − b)" in out
    assert "∇²_x f = 2Aᵀ A" in out
    assert out.count(": OK") == 4
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert "1_grad_x.png" in files and "1_grad_x.py" in files


BAD_INPUT = [
    (["grad", "A*x +", "--wrt", "x"], ["syntax error", "column 6"]),
    (["grad", "A*x", "--wrt", "x"], ["grad needs a scalar function", "jacobian"]),
    (["grad", "x'*x", "--wrt", "y"], ["no variable 'y'", "x"]),
    (["grad", "foo(x)", "--wrt", "x"], ["unknown function 'foo'"]),
    (["grad", "x'*A*x", "--wrt", "x", "--shapes", "A:m,n x:n"], ["dimension mismatch", "column"]),
    (["grad", "x'*x", "--wrt", "x", "--shapes", "x"], ["--shapes", "NAME:DIMS"]),
    (["grad", "x'*x", "--wrt", "x", "--shapes", "{bad json"], ["--shapes", "JSON"]),
    (["hessian", "A*x", "--wrt", "x"], ["hessian needs a scalar"]),
    (["grad", "x'*x"], ["--wrt"]),
    (["frobnicate"], ["invalid choice"]),
]


@pytest.mark.parametrize("args, words", BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input_exit_code_2(args, words):
    rc, out, err = run(*args)
    assert rc == 2
    for w in words:
        assert w in err
    assert "Traceback" not in err
    if args[0] != "frobnicate" and "--wrt" in args:
        assert len(err.strip().splitlines()) == 1  # one line


def test_main_in_process(capsys):
    assert main(["grad", "c'*x", "--wrt", "x"]) == 0
    assert "∇_x f = c" in capsys.readouterr().out
    assert main(["grad", "(x", "--wrt", "x"]) == 2
    assert "column 3" in capsys.readouterr().err


def test_parse_shapes():
    assert parse_shapes("A:m,n x:n t:") == {"A": ("m", "n"), "x": ("n",), "t": ()}
    assert parse_shapes("A=m×n; x=n") == {"A": ("m", "n"), "x": ("n",)}
    assert parse_shapes('{"A": ["m", "n"], "c": []}') == {"A": ("m", "n"), "c": ()}
    assert parse_shapes(None) is None
    with pytest.raises(UsageError):
        parse_shapes("A:m,1")
    with pytest.raises(UsageError):
        parse_shapes('["A"]')


def test_check_catches_a_wrong_derivative():
    text = "x'*A*x"
    f = parse(text)
    x = variables(text)["x"]
    right = tg.grad(f, x)
    wrong = parse("2*A*x", infer_shapes(text))  # A is not symmetric: wrong
    err, rel, n, sizes = finite_difference_check(f, x, right, infer_shapes(text))
    assert rel < 1e-6 and n == sizes["n"]
    err, rel, n, sizes = finite_difference_check(f, x, wrong, infer_shapes(text))
    assert rel > 1e-3


def test_index_line_printed_once_when_there_is_no_matrix_reading():
    rc, out, err = run("jacobian", "A*x", "--wrt", "A", "--index")
    assert rc == 0, err
    assert out.count("T[i,i',j] =") == 1
    assert "∂f/∂A = T[i,i',j] = x[j] " in out


def test_kronecker_hessian_states_its_convention_and_checks():
    rc, out, err = run("hessian", "norm2(T - U*V')^2", "--wrt", "U", "--check", "--index")
    assert rc == 0, err
    assert "∇²_U f = 2I ⊗ Vᵀ V" in out
    assert "row-major" in out and "kron(P, Q)" in out
    assert out.count("\nT[i,j,i',j'] = ") == 1  # --index adds index notation once
    assert "OK" in out
    rc, out, err = run("jacobian", "A*X*B", "--wrt", "X", "--latex")
    assert rc == 0, err
    assert r"A \otimes B^{\top}" in out
