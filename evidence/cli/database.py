"""Schema commands: evidence db upgrade | downgrade | current, and evidence demo."""

from __future__ import annotations

import click

from evidence.cli.base import cli, runtime_of
from evidence.schema_migrations import current_revision, downgrade, head_revision, upgrade
from evidence.services.reference_data import load_reference_dossiers
from evidence.services.users import DEMO_PASSWORD, create_demo_users


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
    runtime = runtime_of(ctx)
    upgrade(runtime.settings.database_url, revision)
    click.echo(f"database at {current_revision(runtime.engine)}")


@db.command("downgrade")
@click.argument("revision")
@click.pass_context
def db_downgrade(ctx: click.Context, revision: str) -> None:
    """Migrate the database down to REVISION ("base" removes every table).

    Example: evidence db downgrade base
    """
    runtime = runtime_of(ctx)
    downgrade(runtime.settings.database_url, revision)
    click.echo(f"database at {current_revision(runtime.engine) or 'base'}")


@db.command("current")
@click.pass_context
def db_current(ctx: click.Context) -> None:
    """Show the database's schema revision and the newest one available.

    Example: evidence db current
    """
    runtime = runtime_of(ctx)
    current = current_revision(runtime.engine)
    head = head_revision(runtime.settings.database_url)
    state = "up to date" if current == head else f"newest is {head}"
    click.echo(f"{current or 'base'} ({state})")


@cli.command()
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Migrate, load the reference dossiers and one demo user per role (safe to run twice).

    The demo users (admin, chair, member, analyst, auditor) share the password
    "demo-password": for trying the system out, never for real work.

    Example: evidence demo
    """
    runtime = runtime_of(ctx)
    upgrade(runtime.settings.database_url)
    with runtime.transaction() as session:
        results = load_reference_dossiers(session, actor=runtime.actor)
        created = create_demo_users(session, actor=runtime.actor)
    for result in results:
        state = "loaded" if result.loaded else "already present"
        click.echo(f"{result.reference}: {result.title} ({state})")
    if created:
        click.echo(f"demo users (password {DEMO_PASSWORD!r}): {', '.join(created)}")
