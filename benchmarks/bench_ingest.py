"""Ingest of parsed records into SQLite and PostgreSQL, against a plain executemany.

Builds N records from the real bulk fixture (PMIDs rewritten), then times:

- ours: ``ingest_pubmed_records`` in batches of 1,000 inside one transaction (what
  ``evidence import pubmed-xml`` does: lookups, dedup, children, RETURNING ids);
- plain: the same rows, prepared beforehand, inserted with the driver's own
  ``executemany`` (ids assigned by the benchmark, no lookups).

Target: ours no more than 2x plain on each database.

    .venv/bin/python benchmarks/bench_ingest.py [--records 100000] [--skip-postgresql]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import lzma
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from evidence.db import make_engine, make_session_factory  # noqa: E402
from evidence.pubmed.record_rows import (  # noqa: E402
    CHILD_COLUMNS,
    HEADING_COLUMNS,
    QUALIFIER_COLUMNS,
    prepare_record,
)
from evidence.pubmed.records import ArticleRecord  # noqa: E402
from evidence.pubmed.xml_parser import iter_pubmed_xml  # noqa: E402
from evidence.schema_migrations import upgrade  # noqa: E402
from evidence.services.citation_ingest import ingest_pubmed_records  # noqa: E402

BULK = REPO.parent / "shared" / "fixtures" / "pubmed-xml" / "bulk" / "pubmed21n1298.xml.xz"
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BATCH = 1_000


def templates(limit: int) -> list[ArticleRecord]:
    found = []
    with lzma.open(BULK) as stream:
        for record in iter_pubmed_xml(stream, name=BULK.name):
            if isinstance(record, ArticleRecord):
                found.append(record)
                if len(found) >= limit:
                    break
    return found


def records(models: list[ArticleRecord], count: int) -> Iterator[ArticleRecord]:
    for index in range(count):
        model = models[index % len(models)]
        yield dataclasses.replace(model, pmid=str(90_000_000 + index), doi=None)


def plain_rows(models: list[ArticleRecord], count: int) -> dict[str, list[dict[str, Any]]]:
    """Every row ours would write, with ids assigned here."""
    tables: dict[str, list[dict[str, Any]]] = {}
    heading_id = 0
    now = datetime.now(UTC)
    for citation_id, record in enumerate(records(models, count), 1):
        prepared = prepare_record(record, "pubmed-xml")
        tables.setdefault("citation", []).append(
            {**prepared.citation, "created_at": now, "updated_at": now, "id": citation_id}
        )
        for table, rows in prepared.children.items():
            columns = ("citation_id", *CHILD_COLUMNS[table])
            tables.setdefault(table, []).extend(
                dict(zip(columns, (citation_id, *row), strict=True)) for row in rows
            )
        for heading, qualifiers in prepared.mesh:
            heading_id += 1
            tables.setdefault("mesh_heading", []).append(
                {
                    "id": heading_id,
                    **dict(zip(HEADING_COLUMNS, (citation_id, *heading), strict=True)),
                }
            )
            tables.setdefault("mesh_qualifier", []).extend(
                dict(zip(QUALIFIER_COLUMNS, (heading_id, *qualifier), strict=True))
                for qualifier in qualifiers
            )
    return tables


def _plain_value(column: str, value: Any, dialect: str) -> Any:
    if column == "keywords":
        return json.dumps(value)
    if dialect == "sqlite" and isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    return value


def run_plain(url: str, tables: dict[str, list[dict[str, Any]]]) -> float:
    engine = make_engine(url)
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        cursor = raw.cursor()
        marker = "?" if engine.dialect.name == "sqlite" else "%s"
        started = time.perf_counter()
        if engine.dialect.name == "sqlite":
            cursor.execute("BEGIN")
        for name in ("citation", "abstract_section", "citation_author",
                     "citation_publication_type", "comment_correction", "mesh_heading",
                     "mesh_qualifier"):  # fmt: skip
            rows = tables.get(name, [])
            if not rows:
                continue
            columns = list(rows[0])
            sql = (
                f"INSERT INTO {name} ({', '.join(columns)}) "
                f"VALUES ({', '.join([marker] * len(columns))})"
            )
            values = [tuple(_plain_value(c, row[c], engine.dialect.name) for c in columns)
                      for row in rows]  # fmt: skip
            cursor.executemany(sql, values)
        raw.commit()
        elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def run_ours(url: str, models: list[ArticleRecord], count: int) -> float:
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    batch: list[ArticleRecord] = []
    started = time.perf_counter()
    with sessions.begin() as session:
        for record in records(models, count):
            batch.append(record)
            if len(batch) == BATCH:
                ingest_pubmed_records(session, batch)
                batch = []
        if batch:
            ingest_pubmed_records(session, batch)
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def fresh_postgres() -> tuple[str, sa.Engine]:
    server = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT")
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with server.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return sa.make_url(SERVER).set(database=name).render_as_string(False), server


def drop_postgres(url: str, server: sa.Engine) -> None:
    with server.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE "{sa.make_url(url).database}" WITH (FORCE)'))


def compare(label: str, make_url: Any, models: list[ArticleRecord], count: int) -> None:
    tables = plain_rows(models, count)
    timings = {}
    for contender in ("plain", "ours"):
        url, cleanup = make_url()
        upgrade(url)
        if contender == "plain":
            timings[contender] = run_plain(url, tables)
        else:
            timings[contender] = run_ours(url, models, count)
        cleanup()
    ratio = timings["ours"] / timings["plain"]
    print(
        f"{label}: ours {count / timings['ours']:,.0f} records/s ({timings['ours']:.1f} s), "
        f"plain executemany {count / timings['plain']:,.0f} records/s "
        f"({timings['plain']:.1f} s); ratio {ratio:.2f}x (target <= 2x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--models", type=int, default=5_000, help="real records to copy from")
    parser.add_argument("--skip-postgresql", action="store_true")
    args = parser.parse_args()
    models = templates(args.models)
    print(f"{args.records} records built from {len(models)} real ones in {BULK.name}")

    with tempfile.TemporaryDirectory() as folder:
        counter = iter(range(100))

        def sqlite_db() -> tuple[str, Any]:
            path = Path(folder) / f"bench{next(counter)}.db"
            return f"sqlite:///{path}", lambda: None

        compare("SQLite", sqlite_db, models, args.records)
    if not args.skip_postgresql:

        def postgres_db() -> tuple[str, Any]:
            url, server = fresh_postgres()
            return url, lambda: drop_postgres(url, server)

        compare("PostgreSQL", postgres_db, models, args.records)


if __name__ == "__main__":
    main()
