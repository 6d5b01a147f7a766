"""The ``evidence`` command line: thin commands over the services.

Each command parses its options, runs one use case in one transaction and
prints the result. Errors are translated once, in ``EvidenceGroup.invoke``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Any, NoReturn

import click
from sqlalchemy.exc import IntegrityError, OperationalError

from evidence import __version__
from evidence.config import load_settings
from evidence.db_errors import database_refusal
from evidence.dossier_files import dump_dossier, load_dossier_file
from evidence.errors import EvidenceError, InvalidDossierFile
from evidence.queries import list_dossiers, spc_statements_of
from evidence.reports.dossier_text import render_dossier_text
from evidence.runtime import Runtime
from evidence.schema_migrations import current_revision, downgrade, head_revision, upgrade
from evidence.services.audit import verify_audit_trail
from evidence.services.dossier_export import export_dossier, get_dossier
from evidence.services.dossier_import import import_dossier
from evidence.services.reference_data import load_reference_dossiers

DASHBOARD_APP = Path(__file__).resolve().parents[1] / "dashboard" / "app.py"


class CommandError(click.ClickException):
    """One line ``Error: ...``, then any further problems indented below it."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or []

    def show(self, file: IO[Any] | None = None) -> None:
        super().show(file)
        for detail in self.details:
            click.echo(f"  {detail}", err=True)


def _fail(message: str, details: list[str] | None = None) -> NoReturn:
    raise CommandError(message, details)


class EvidenceGroup(click.Group):
    """A group that turns the package's errors into one line and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InvalidDossierFile as error:
            _fail(str(error), error.problems[1:])
        except EvidenceError as error:
            _fail(str(error))
        except IntegrityError as error:
            _fail(str(database_refusal(error)))
        except OperationalError as error:
            _fail(f"database error: {str(error.orig).splitlines()[0]}")


def _runtime(ctx: click.Context) -> Runtime:
    runtime: Runtime = ctx.find_object(Runtime) or _fail("no runtime")
    return runtime


@click.group(cls=EvidenceGroup)
@click.option(
    "--db",
    "database_url",
    metavar="URL",
    help="Database URL (default: $EVIDENCE_DATABASE_URL, else sqlite:///evidence.db here).",
)
@click.version_option(__version__, prog_name="evidence")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None) -> None:
    """Pharmacovigilance evidence-review database: dossiers, searches, decisions."""
    runtime = Runtime(load_settings(database_url))
    ctx.obj = runtime
    ctx.call_on_close(runtime.close)


# ---------------------------------------------------------------- db


@cli.group()
def db() -> None:
    """Create and migrate the database schema."""


@db.command("upgrade")
@click.argument("revision", default="head")
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Migrate the database up to REVISION (default: the newest).

    Example: evidence db upgrade
    """
    runtime = _runtime(ctx)
    upgrade(runtime.settings.database_url, revision)
    click.echo(f"database at {current_revision(runtime.engine)}")


@db.command("downgrade")
@click.argument("revision")
@click.pass_context
def db_downgrade(ctx: click.Context, revision: str) -> None:
    """Migrate the database down to REVISION ("base" removes every table).

    Example: evidence db downgrade base
    """
    runtime = _runtime(ctx)
    downgrade(runtime.settings.database_url, revision)
    click.echo(f"database at {current_revision(runtime.engine) or 'base'}")


@db.command("current")
@click.pass_context
def db_current(ctx: click.Context) -> None:
    """Show the database's schema revision and the newest one available.

    Example: evidence db current
    """
    runtime = _runtime(ctx)
    current = current_revision(runtime.engine)
    head = head_revision(runtime.settings.database_url)
    state = "up to date" if current == head else f"newest is {head}"
    click.echo(f"{current or 'base'} ({state})")


# ---------------------------------------------------------------- demo


@cli.command()
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Migrate the database and load the reference dossiers (safe to run twice).

    Example: evidence demo
    """
    runtime = _runtime(ctx)
    upgrade(runtime.settings.database_url)
    with runtime.transaction() as session:
        results = load_reference_dossiers(session, actor=runtime.actor)
    for result in results:
        state = "loaded" if result.loaded else "already present"
        click.echo(f"{result.reference}: {result.title} ({state})")


# ---------------------------------------------------------------- dossier


@cli.group()
def dossier() -> None:
    """List, show, import and export dossiers."""


@dossier.command("list")
@click.pass_context
def dossier_list(ctx: click.Context) -> None:
    """List the dossiers with their status and current decision.

    Example: evidence dossier list
    """
    with _runtime(ctx).transaction() as session:
        summaries = list_dossiers(session)
    if not summaries:
        click.echo("no dossiers; load the reference dossiers with `evidence demo`")
    for s in summaries:
        decision = "no decision"
        if s.decided_on is not None:
            ci, action = (
                ("yes" if s.contraindication else "no"),
                ("yes" if s.action_needed else "no"),
            )
            decision = f"contra-indication {ci}, action {action} ({s.decided_on.isoformat()})"
        click.echo(f"{s.reference}\t{s.status}\t{s.title}\t{decision}")


@dossier.command("show")
@click.argument("reference")
@click.pass_context
def dossier_show(ctx: click.Context, reference: str) -> None:
    """Show a whole dossier as text, in the order of the evidence document.

    Example: evidence dossier show 7097
    """
    with _runtime(ctx).transaction() as session:
        found = get_dossier(session, reference=reference)
        text = render_dossier_text(found, spc_statements_of(session, found.substance))
    click.echo(text, nl=False)


@dossier.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_context
def dossier_import(ctx: click.Context, files: tuple[Path, ...]) -> None:
    """Import dossier files (YAML or JSON); a bad file is refused whole.

    Example: evidence dossier import 7097.yaml
    """
    runtime = _runtime(ctx)
    for path in files:
        document = load_dossier_file(path)
        with runtime.transaction() as session:
            imported = import_dossier(
                session, document=document, actor=runtime.actor, source=path.name
            )
            click.echo(f"imported {imported.reference}: {imported.title}")


@dossier.command("export")
@click.argument("reference")
@click.option(
    "--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True
)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to FILE.")
@click.pass_context
def dossier_export(ctx: click.Context, reference: str, fmt: str, output: Path | None) -> None:
    """Export one whole dossier as a dossier file (stdout unless -o is given).

    Example: evidence dossier export 7097 --format yaml -o 7097.yaml
    """
    with _runtime(ctx).transaction() as session:
        text = dump_dossier(export_dossier(session, reference=reference), fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


# ---------------------------------------------------------------- audit


@cli.group()
def audit() -> None:
    """Check the audit trail."""


@audit.command("verify")
@click.pass_context
def audit_verify(ctx: click.Context) -> None:
    """Recompute the hash chain: "intact, N events", or the first broken event (exit 1).

    Example: evidence audit verify
    """
    with _runtime(ctx).transaction() as session:
        report = verify_audit_trail(session)
    if report.intact:
        click.echo(f"intact, {report.events} events")
        return
    click.echo(f"broken at event {report.first_broken_id}: {report.problem}")
    ctx.exit(1)


# ---------------------------------------------------------------- dashboard


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8501, show_default=True, type=int)
@click.pass_context
def dashboard(ctx: click.Context, host: str, port: int) -> None:
    """Start the dashboard (Streamlit) on the configured database.

    Example: evidence dashboard --port 8501
    """
    runtime = _runtime(ctx)
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
