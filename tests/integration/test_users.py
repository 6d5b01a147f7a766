"""Users through the CLI: add, list, passwd, disable; the first admin; logging in."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker

import evidence.cli.dashboard
from evidence.cli import cli
from evidence.errors import AuthenticationFailed
from evidence.models.vocabulary import Role
from evidence.services.users import authenticate
from tests.integration.cli_runs import run


def _cli(database_url: str, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--db", database_url, *args], input=stdin)
    return result.exit_code, result.output


def test_user_lifecycle(database_url: str, sessions: sessionmaker[Session]) -> None:
    code, output = _cli(
        database_url,
        "user",
        "add",
        "jdevries",
        "--role",
        "chair",
        "--name",
        "J. de Vries",
        "--password-stdin",
        stdin="first password!\n",
    )
    assert (code, output) == (0, "added jdevries (chair)\n")
    assert _cli(database_url, "user", "list")[1] == "jdevries\tchair\tactive\tJ. de Vries\n"

    with sessions.begin() as session:
        actor = authenticate(session, username="jdevries", password="first password!", client="t")
        assert (actor.role, actor.user_id) == (Role.CHAIR, 1)

    assert _cli(
        database_url, "user", "passwd", "jdevries", "--password-stdin", stdin="second password!\n"
    ) == (0, "password of jdevries changed\n")
    with pytest.raises(AuthenticationFailed), sessions.begin() as session:
        authenticate(session, username="jdevries", password="first password!", client="t")

    assert _cli(database_url, "user", "disable", "jdevries", "--reason", "left") == (
        0,
        "jdevries disabled\n",
    )
    with pytest.raises(AuthenticationFailed) as refused, sessions.begin() as session:
        authenticate(session, username="jdevries", password="second password!", client="t")
    assert str(refused.value) == "unknown user, wrong password, or disabled user"


def test_user_mistakes_are_one_line(database_url: str) -> None:
    assert _cli(
        database_url, "user", "add", "x", "--role", "analyst", "--password-stdin", stdin="short\n"
    ) == (1, "Error: a password needs at least 10 characters\n")
    _cli(
        database_url,
        "user",
        "add",
        "x",
        "--role",
        "analyst",
        "--password-stdin",
        stdin="long enough password\n",
    )
    assert _cli(
        database_url,
        "user",
        "add",
        "x",
        "--role",
        "analyst",
        "--password-stdin",
        stdin="long enough password\n",
    ) == (1, "Error: user 'x' already exists\n")


def test_only_admins_manage_users(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    run(database_url, "demo")
    monkeypatch.setenv("EVIDENCE_USER", "analyst")
    assert _cli(database_url, "user", "list") == (
        1,
        "Error: analyst (analyst) may not manage users\n",
    )
    monkeypatch.setenv("EVIDENCE_USER", "admin")
    code, output = _cli(database_url, "user", "list")
    assert code == 0 and output.splitlines()[0].startswith("admin\tadmin\tactive")
    monkeypatch.setenv("EVIDENCE_USER", "nobody")
    assert _cli(database_url, "user", "list") == (
        1,
        "Error: EVIDENCE_USER 'nobody' is not an active user\n",
    )


def test_first_start_creates_the_first_admin(
    database_url: str, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[list[str]] = []
    # The dashboard server itself is not started here (the e2e tests do that).
    monkeypatch.setattr(
        evidence.cli.dashboard.os, "execve", lambda path, args, env: started.append(args)
    )
    monkeypatch.setenv("EVIDENCE_ADMIN_PASSWORD", "the first admin's password")
    code, output = _cli(database_url, "dashboard", "--port", "8599")
    assert code == 0, output
    assert "created the first administrator: admin" in output
    assert started and "8599" in started[0]
    with sessions.begin() as session:
        admin = authenticate(
            session, username="admin", password="the first admin's password", client="t"
        )
        assert admin.role == Role.ADMIN
    code, output = _cli(database_url, "dashboard")
    assert "created the first administrator" not in output  # only on a database without users


def test_first_start_without_a_password_says_what_to_do(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EVIDENCE_ADMIN_PASSWORD", raising=False)
    assert _cli(database_url, "dashboard") == (
        1,
        "Error: no users yet: set EVIDENCE_ADMIN_PASSWORD for the first admin, or run "
        "`evidence user add admin --role admin`\n",
    )
