"""Short modules and functions, checked rather than hoped for.

Limits: 400 lines a module, 50 lines a function (evidence/ and dashboard/). Nothing is
over them today; an entry in the lists below is a debt to be split, and the lists may
only shrink.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULE_LINES, FUNCTION_LINES = 400, 50
LONG_MODULES_TO_SPLIT: set[str] = set()
LONG_FUNCTIONS_TO_SPLIT: set[str] = set()


def _sources() -> list[Path]:
    return sorted(p for folder in ("evidence", "dashboard") for p in (ROOT / folder).rglob("*.py"))


def test_modules_are_short() -> None:
    long = {
        str(path.relative_to(ROOT))
        for path in _sources()
        if len(path.read_text(encoding="utf-8").splitlines()) > MODULE_LINES
    }
    assert long == LONG_MODULES_TO_SPLIT


def test_functions_are_short() -> None:
    long = set()
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                if node.end_lineno - node.lineno + 1 > FUNCTION_LINES:
                    long.add(f"{path.relative_to(ROOT)}:{node.name}")
    assert long == LONG_FUNCTIONS_TO_SPLIT


def test_no_sql_or_sqlalchemy_in_the_interfaces() -> None:
    """Pages and commands call services; queries live in evidence/ (DESIGN.md layers)."""
    interfaces = [*(ROOT / "dashboard").rglob("*.py"), *(ROOT / "evidence" / "cli").rglob("*.py")]
    offenders = [
        str(path.relative_to(ROOT))
        for path in interfaces
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith(("import sqlalchemy", "from sqlalchemy"))
    ]
    assert offenders == ["evidence/cli/base.py"]  # only to translate the database's errors


def test_the_parser_process_loads_no_database_layer() -> None:
    """A large harvest or import starts a parser process (evidence.parser_process):
    SQLAlchemy and the models would triple what it costs to start, on the same cores
    that are harvesting."""
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, evidence.parser_process; print(*sys.modules)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "evidence.pubmed.record_rows" in loaded
    assert [m for m in loaded if m.startswith(("sqlalchemy", "evidence.models"))] == []
