"""``evidence dashboard`` started as users start it, in a process of its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_dashboard(database_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    """The dashboard command on ``database_url``, its output in ``log``."""
    with log.open("wb") as output:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "evidence",
                "--db",
                database_url,
                "dashboard",
                "--port",
                str(port),
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ},
        )
