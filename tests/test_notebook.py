"""examples/tour.ipynb is stored without outputs and runs from top to bottom (its own
asserts check the Hessian against finite differences and, when installed, JAX)."""

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")  # with nbclient in the `test` extra
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[1]
TOUR = ROOT / "examples" / "tour.ipynb"


def test_tour_is_stored_without_outputs():
    nb = nbformat.read(TOUR, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) >= 10
    assert all(not c.outputs and c.execution_count is None for c in code)


def test_tour_executes(monkeypatch):
    # the kernel imports this checkout's tensorgrad, whatever is installed
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("MPLBACKEND", "agg")
    nb = nbformat.read(TOUR, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(TOUR.parent)}})
    client.execute()  # raises CellExecutionError on any failing cell
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    rich = [o.data for o in outputs if o.output_type in ("execute_result", "display_data")]
    # expressions display as LaTeX, draw/draw_steps figures inline as images
    assert any(r"A^{\top}\left(A x - b\right)" in d.get("text/latex", "") for d in rich)
    assert sum("image/png" in d for d in rich) >= 6
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "def net(" in text
