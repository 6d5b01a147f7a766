"""The parser processes this test process has started (Linux /proc)."""

from __future__ import annotations

import os
from pathlib import Path


def parser_processes() -> list[int]:
    """Every live child of this process running ``evidence.parser_process``."""
    return [pid for pid, state, command in children() if "evidence.parser_process" in command]


def children() -> list[tuple[int, str, str]]:
    """PID, state and command line of each child of this process, for messages too.

    Found by each process's parent in ``/proc/PID/stat``, not through
    ``/proc/PID/task/TID/children``: the kernel walks that list without freezing it,
    so a child that ends while it is read can hide a sibling that is still there. A
    zombie's command line is empty."""
    found = []
    for entry in Path("/proc").iterdir():
        # The name in parentheses may hold spaces and parentheses; the fields after
        # the last ")" are the state, then the parent's PID.
        fields = _read(entry / "stat").rpartition(")")[2].split() if entry.name.isdigit() else []
        if len(fields) > 1 and int(fields[1]) == os.getpid():
            command = _read(entry / "cmdline").replace("\0", " ").strip()
            found.append((int(entry.name), fields[0], command))
    return sorted(found)


def _read(path: Path) -> str:
    """What ``path`` holds, or nothing if its process ended meanwhile."""
    try:
        return path.read_text(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""
