"""User commands: evidence user add | passwd | disable | list | permissions."""

from __future__ import annotations

import sys

import click

from evidence.cli.base import cli, runtime_of
from evidence.models.vocabulary import Role
from evidence.permissions import permission_table
from evidence.services.users import add_user, change_password, disable_user, list_users

ROLES = click.Choice([role.value for role in Role])


def read_password(from_stdin: bool, *, confirm: bool = True) -> str:
    """From standard input (scripts) or a hidden prompt typed twice (people)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password: str = click.prompt("Password", hide_input=True, confirmation_prompt=confirm)
    return password


@cli.group()
def user() -> None:
    """Manage users and their roles (admin, chair, member, analyst, auditor)."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=ROLES, required=True)
@click.option("--name", "display_name", default="", help="Full name (default: the user name).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def user_add(
    ctx: click.Context, username: str, role: str, display_name: str, password_stdin: bool
) -> None:
    """Add a user with a role; the password is asked for (or read from stdin).

    Example: evidence user add jdevries --role chair --name "J. de Vries"
    """
    password = read_password(password_stdin)
    runtime = runtime_of(ctx)
    with runtime.transaction() as session:
        added = add_user(
            session,
            username=username,
            display_name=display_name,
            role=Role(role),
            password=password,
            actor=runtime.actor,
        )
        click.echo(f"added {added.username} ({added.role.value})")


@user.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
def user_passwd(ctx: click.Context, username: str, password_stdin: bool) -> None:
    """Set a new password (your own, or anyone's as an admin).

    Example: evidence user passwd jdevries
    """
    password = read_password(password_stdin)
    runtime = runtime_of(ctx)
    with runtime.transaction() as session:
        change_password(session, username=username, new_password=password, actor=runtime.actor)
    click.echo(f"password of {username} changed")


@user.command("disable")
@click.argument("username")
@click.option("--reason", help="Why (kept in the audit trail).")
@click.pass_context
def user_disable(ctx: click.Context, username: str, reason: str | None) -> None:
    """Disable a user: they can no longer log in or sign; their records stay theirs.

    Example: evidence user disable jdevries --reason "left the committee"
    """
    runtime = runtime_of(ctx)
    with runtime.transaction() as session:
        disable_user(session, username=username, actor=runtime.actor, reason=reason)
    click.echo(f"{username} disabled")


@user.command("list")
@click.pass_context
def user_list(ctx: click.Context) -> None:
    """List users with their role and whether they are active.

    Example: evidence user list
    """
    runtime = runtime_of(ctx)
    with runtime.transaction() as session:
        users = list_users(session, actor=runtime.actor)
    for summary in users:
        state = "active" if summary.active else "disabled"
        click.echo(f"{summary.username}\t{summary.role}\t{state}\t{summary.display_name}")


@user.command("permissions")
def user_permissions() -> None:
    """Print which role may do what (the table the services enforce).

    Example: evidence user permissions
    """
    for permission, roles in permission_table():
        click.echo(f"{permission}\t{', '.join(roles)}")
