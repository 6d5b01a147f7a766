"""Bulk inserts straight through the driver's ``executemany``.

SQLAlchemy's bulk insert processes every parameter of every row in Python; for the
large, plain rows of a harvest or an import (citations, their child rows, a run's
hits) that was most of the cost of writing them. These two functions skip it: rows
made of values the driver takes as they are, with each column's own bind processing
applied only where a column has any.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from evidence.pubmed.record_rows import Row


def bound_rows(
    session: Session, table: sa.Table, columns: tuple[str, ...], rows: list[dict[str, Any]]
) -> list[Row]:
    """``rows`` as the driver takes them: each column's own bind processing (JSON,
    timestamps, booleans), as SQLAlchemy applies it, but only for the few columns that
    have any; SQLAlchemy's generic per-row, per-column pass was a fifth of storing a
    harvest's batch."""
    dialect = session.get_bind().dialect
    processors = [
        (index, processor)
        for index, column in enumerate(columns)
        if (processor := table.c[column].type.dialect_impl(dialect).bind_processor(dialect))
    ]
    bound: list[Row] = []
    for row in rows:
        values = [row[column] for column in columns]
        for index, processor in processors:
            values[index] = processor(values[index])
        bound.append(tuple(values))
    return bound


def driver_insert(
    session: Session, table: sa.Table, columns: tuple[str, ...], rows: list[Row]
) -> None:
    """An executemany straight through the driver, of rows the driver takes as they
    are: the plain child rows (integers, text and booleans), or rows made so by
    :func:`bound_rows`. SQLAlchemy's per-row parameter processing (most of the cost of a
    bulk insert) is skipped. The statement is built from the table's own column names.
    """
    if not rows:
        return
    connection = session.connection()
    quote = connection.dialect.identifier_preparer.quote
    unknown = set(columns) - set(table.columns.keys())
    if unknown:
        raise ValueError(f"not columns of {table.name}: {sorted(unknown)}")
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    names = ", ".join(quote(column) for column in columns)
    markers = ", ".join([marker] * len(columns))
    # Identifiers are the table's own (checked above) and quoted; values are bound.
    statement = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({markers})"  # noqa: S608
    connection.exec_driver_sql(statement, rows)
