"""The documentation that ships with the project stays true: every ```python block in
docs/*.md runs (top to bottom, one namespace per file, its asserts the checks), every
```console block's `$ tensorgrad …` commands run and print what the block shows, the
API reference names every public name, the function table is what the registry
generates, and README/docs link only to files in the repository."""

import importlib.util
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import tensorgrad as tg

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.S | re.M)


def blocks(path: Path, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(path.read_text(encoding="utf-8")) if lang == language]


def test_there_are_docs_with_code():
    names = {p.name for p in DOCS}
    assert {"api.md", "conventions.md", "functions.md", "cli.md", "gallery.md", "contributing.md"} <= names
    assert sum(len(blocks(p, "python")) for p in DOCS) >= 15


@pytest.mark.parametrize("path", [p for p in DOCS if blocks(p, "python")], ids=lambda p: p.name)
def test_python_blocks_run(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # blocks that write files write them here
    namespace = {"__name__": f"docs_{path.stem}"}
    try:
        for k, code in enumerate(blocks(path, "python")):
            exec(compile(code, f"{path.name} block {k + 1}", "exec"), namespace)
    finally:
        tg.forget_assumptions()


def console_commands(path: Path):
    """(argv, expected output lines) for each `$ tensorgrad …` line of ```console blocks."""
    for body in blocks(path, "console"):
        for chunk in re.split(r"^\$ ", body, flags=re.M)[1:]:
            command, *expected = chunk.rstrip("\n").split("\n")
            yield shlex.split(command), [line for line in expected if line.strip()]


@pytest.mark.parametrize("path", [p for p in DOCS if blocks(p, "console")], ids=lambda p: p.name)
def test_console_blocks_print_what_they_show(path, tmp_path):
    commands = list(console_commands(path))
    assert commands
    for argv, expected in commands:
        assert argv[0] == "tensorgrad", argv
        proc = subprocess.run([sys.executable, "-m", "tensorgrad.cli", *argv[1:]], capture_output=True,
                              text=True, encoding="utf-8", cwd=tmp_path, timeout=120)
        out = proc.stdout + proc.stderr
        for line in expected:
            if line.startswith("[exit "):
                assert proc.returncode == int(line[6:-1]), (argv, out)
                continue
            assert line in out, (argv, line, out)
        if not any(line.startswith("[exit ") for line in expected):
            assert proc.returncode == 0, (argv, out)


def test_api_reference_names_every_public_name():
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    missing = [n for n in tg.__all__ if f"tg.{n}" not in text]
    assert not missing, missing


def test_function_table_is_generated_from_the_registry():
    spec = importlib.util.spec_from_file_location("function_table", ROOT / "scripts" / "function_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from tensorgrad.expr import FUNCTIONS

    text = (ROOT / "docs" / "functions.md").read_text(encoding="utf-8")
    assert text == module.table(), "docs/functions.md is stale: run scripts/function_table.py"
    assert all(f"| `{name}`" in text for name in FUNCTIONS)


LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("path", [ROOT / "README.md", *DOCS], ids=lambda p: p.name)
def test_links_point_to_files_in_the_repository(path):
    for target in LINK.findall(path.read_text(encoding="utf-8")):
        if target.startswith(("http://", "https://", "#")):
            continue
        file = (path.parent / target.split("#")[0]).resolve()
        assert file.is_relative_to(ROOT), f"{path.name} links outside the repository: {target}"
        assert file.exists(), f"{path.name} links to a missing file: {target}"
