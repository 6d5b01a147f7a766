"""The parser processes this test process has started (Linux /proc)."""

from __future__ import annotations

import os
from pathlib import Path


def parser_processes() -> list[int]:
    children = [int(child) for task in _tasks() for child in _read(task / "children").split()]
    return [
        pid for pid in children if "evidence.parser_process" in _read(Path(f"/proc/{pid}/cmdline"))
    ]


def _tasks() -> list[Path]:
    return list(Path(f"/proc/{os.getpid()}/task").iterdir())


def _read(path: Path) -> str:
    """What ``path`` holds, or nothing if its thread or process ended meanwhile (an
    efetch thread may finish between the listing and the reading)."""
    try:
        return path.read_text(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""
