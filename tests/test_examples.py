"""The README's main job runs end to end and writes its diagram and code files."""

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_main_job_writes_diagrams_and_code(tmp_path):
    spec = importlib.util.spec_from_file_location("least_squares", ROOT / "examples" / "least_squares.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    for name in ("least_squares_hessian.png", "least_squares_gradient_steps.png", "composition_hessian.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG" and (tmp_path / name).stat().st_size > 2000
    code = (tmp_path / "least_squares.py").read_text()
    assert "def least_squares(" in code and "import numpy" in code
    assert "import tensorgrad" not in code and "from tensorgrad" not in code


def test_exported_code_runs_without_tensorgrad(tmp_path):
    spec = importlib.util.spec_from_file_location("least_squares", ROOT / "examples" / "least_squares.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    script = ("import numpy as np, least_squares as m\n"
              "A = np.arange(15.0).reshape(5, 3) / 7; x = np.ones(3); b = np.arange(5.0)\n"
              "out = m.least_squares(A=A, x=x, b=b)\n"
              "assert np.allclose(out['hessian'], 2 * A.T @ A)\n"
              "assert np.allclose(out['grad'], 2 * A.T @ (A @ x - b))\n"
              "print('ok')\n")
    run = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n" + script],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.stdout.strip() == "ok", run.stderr
