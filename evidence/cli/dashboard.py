"""Start the dashboard."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click

from evidence.cli.base import cli, runtime_of

DASHBOARD_APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8501, show_default=True, type=int)
@click.pass_context
def dashboard(ctx: click.Context, host: str, port: int) -> None:
    """Start the dashboard (Streamlit) on the configured database.

    Example: evidence dashboard --port 8501
    """
    runtime = runtime_of(ctx)
    env = {**os.environ, "EVIDENCE_DATABASE_URL": runtime.settings.database_url}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(DASHBOARD_APP),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    click.echo(f"dashboard on http://{host}:{port} (database {runtime.settings.database_url})")
    ctx.exit(subprocess.call(command, env=env))  # noqa: S603 - our own interpreter and app
