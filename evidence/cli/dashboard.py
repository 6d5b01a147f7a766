"""Start the dashboard."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from evidence.cli.base import cli, fail, runtime_of
from evidence.cli.users import read_password
from evidence.services.users import create_first_admin, user_count

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
    _ensure_first_admin(ctx)
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
    runtime.close()
    sys.stdout.flush()
    # Streamlit takes this process's place, so a service manager that stops this
    # process (SIGTERM) stops the server: a child would be left running.
    os.execve(sys.executable, command, env)  # noqa: S606 - our own interpreter and app


def _ensure_first_admin(ctx: click.Context) -> None:
    """On first start (no users yet) create "admin": EVIDENCE_ADMIN_PASSWORD, or ask."""
    runtime = runtime_of(ctx)
    with runtime.transaction() as session:
        if user_count(session):
            return
    password = os.environ.get("EVIDENCE_ADMIN_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            fail(
                "no users yet: set EVIDENCE_ADMIN_PASSWORD for the first admin, or run "
                "`evidence user add admin --role admin`"
            )
        click.echo("No users yet: choose the password of the first administrator, 'admin'.")
        password = read_password(from_stdin=False)
    with runtime.transaction() as session:
        create_first_admin(session, password=password, actor=runtime.actor)
    click.echo("created the first administrator: admin")
