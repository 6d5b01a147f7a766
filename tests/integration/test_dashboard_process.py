"""The dashboard as a service manager runs it: started, then stopped with SIGTERM."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from tests.integration.cli_runs import run
from tests.integration.dashboard_server import free_port, start_dashboard


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def test_stopping_the_dashboard_command_stops_its_server(tmp_path: Path) -> None:
    """``evidence dashboard`` becomes the Streamlit server: SIGTERM to the process it
    was started as leaves nothing listening (a child server would be left running)."""
    database_url = f"sqlite:///{tmp_path / 'evidence.db'}"
    assert run(database_url, "demo").exit_code == 0
    port = free_port()
    log = tmp_path / "dashboard.log"
    process = start_dashboard(database_url, port, log)
    try:
        deadline = time.monotonic() + 60
        while not _answers(port):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=20)
    deadline = time.monotonic() + 10
    while _answers(port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _answers(port), "the Streamlit server outlived the dashboard command"
