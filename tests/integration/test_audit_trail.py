"""The audit trail: append-only in the database itself, and tampering shows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from evidence.db import make_engine
from evidence.models import AuditEvent
from tests.integration.cli_runs import run


@pytest.fixture
def without_triggers(demo_engine: Engine) -> Iterator[Engine]:
    """What an attacker with database rights could do; the chain must still tell.

    The triggers come back afterwards: the PostgreSQL database outlives the test.
    """
    postgres = demo_engine.dialect.name == "postgresql"
    with demo_engine.begin() as connection:
        if postgres:
            connection.execute(sa.text("DROP TRIGGER audit_event_append_only ON audit_event"))
        else:
            connection.execute(sa.text("DROP TRIGGER audit_event_no_update"))
            connection.execute(sa.text("DROP TRIGGER audit_event_no_delete"))
    yield demo_engine
    if postgres:
        with demo_engine.begin() as connection:
            connection.execute(
                sa.text(
                    "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON "
                    "audit_event FOR EACH ROW EXECUTE FUNCTION refuse_change()"
                )
            )
    demo_engine.dispose()


@pytest.fixture
def demo_engine(database_url: str) -> Engine:
    assert run(database_url, "demo").exit_code == 0
    return make_engine(database_url)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_event SET actor = 'mallory' WHERE id = 1", "DELETE FROM audit_event"],
)
def test_the_database_refuses_update_and_delete(demo_engine: Engine, statement: str) -> None:
    with pytest.raises(sa.exc.DatabaseError) as refused, demo_engine.begin() as connection:
        connection.execute(sa.text(statement))
    assert "audit_event is append-only" in str(refused.value)
    demo_engine.dispose()


def _verify(database_url: str) -> tuple[int, str]:
    result = run(database_url, "audit", "verify")
    return result.exit_code, result.output


def test_intact_after_demo(database_url: str, demo_engine: Engine) -> None:
    assert _verify(database_url) == (0, "intact, 7 events\n")  # 2 dossiers, 5 demo users
    demo_engine.dispose()


def test_altered_event_is_detected(database_url: str, without_triggers: Engine) -> None:
    with without_triggers.begin() as connection:
        connection.execute(sa.text("UPDATE audit_event SET actor = 'mallory' WHERE id = 2"))
    assert _verify(database_url) == (1, "broken at event 2: its content does not match its hash\n")


def test_deleted_event_is_detected(database_url: str, without_triggers: Engine) -> None:
    with without_triggers.begin() as connection:
        connection.execute(sa.text("DELETE FROM audit_event WHERE id = 1"))
    assert _verify(database_url) == (
        1,
        "broken at event 2: its link to the previous event is broken\n",
    )


def test_inserted_event_is_detected(database_url: str, demo_engine: Engine) -> None:
    """INSERT stays allowed (it is how events are written): a forged one breaks the chain."""
    table = AuditEvent.__table__
    with demo_engine.begin() as connection:
        first = connection.execute(sa.select(table).where(table.c.id == 1)).mappings().one()
        forged = {**first, "id": 8, "action": "delete", "hash": "f" * 64}
        connection.execute(sa.insert(table).values(**forged))
    demo_engine.dispose()
    assert _verify(database_url) == (
        1,
        "broken at event 8: its link to the previous event is broken\n",
    )


def test_export_gives_every_event(database_url: str, demo_engine: Engine, tmp_path: Path) -> None:
    import csv
    import io
    import json

    lines = run(database_url, "audit", "export").output.splitlines()
    events = [json.loads(line) for line in lines]
    assert [event["id"] for event in events] == list(range(1, 8))
    assert events[0]["after"]["title"] == "Veneuze trombo-embolie: immunoglobuline, normaal"
    assert events[1]["prev_hash"] == events[0]["hash"]
    out = tmp_path / "audit.csv"
    assert run(database_url, "audit", "export", "--format", "csv", "-o", str(out)).exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    assert [row["hash"] for row in rows] == [event["hash"] for event in events]
    assert json.loads(rows[0]["after"])["status"] == "decided"
    demo_engine.dispose()
