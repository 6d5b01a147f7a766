"""The ``evidence`` group, its shared options, and the one place errors become messages."""

from __future__ import annotations

from typing import IO, Any, NoReturn

import click
from sqlalchemy.exc import IntegrityError, OperationalError

from evidence import __version__
from evidence.config import load_settings
from evidence.db_errors import database_refusal
from evidence.errors import EvidenceError, InvalidDossierFile
from evidence.runtime import Runtime


class CommandError(click.ClickException):
    """One line ``Error: ...``, then any further problems indented below it."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or []

    def show(self, file: IO[Any] | None = None) -> None:
        super().show(file)
        for detail in self.details:
            click.echo(f"  {detail}", err=True)


def fail(message: str, details: list[str] | None = None) -> NoReturn:
    raise CommandError(message, details)


class EvidenceGroup(click.Group):
    """A group that turns the package's errors into one line and a non-zero exit."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InvalidDossierFile as error:
            fail(str(error), error.problems[1:])
        except EvidenceError as error:
            fail(str(error))
        except IntegrityError as error:
            fail(str(database_refusal(error)))
        except OperationalError as error:
            fail(f"database error: {str(error.orig).splitlines()[0]}")


def runtime_of(ctx: click.Context) -> Runtime:
    runtime = ctx.find_object(Runtime)
    if runtime is None:
        fail("internal error: no runtime")
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
