"""Harvester record keeping: citations as PubMed gives them, resumable runs and hits.

Reviewed by hand:

- citation gains the fields the PubMed parser reads (version, PII, electronic
  location, status, keywords, comments and corrections, retraction, withdrawal),
  the raw record and its hash, and ``title_key`` for matching sources without IDs,
  filled here for existing rows with the normalisation of this revision.
- Free-text bibliographic columns become TEXT: a harvest must not stop on one long
  volume or journal name (PostgreSQL enforces VARCHAR lengths).
- search_hit is rebuilt with its own id: a hit is now written before its record is
  fetched (state pending), so ``citation_id`` may be empty until then. Existing hits
  are copied (they are few: only dossier files could create them before).
- search_run records the window and predecessor of --since-last runs, PubMed's
  warnings and errors, counts, missing PMIDs, timings and versions.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "comment_correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("ref_type", sa.String(length=50), nullable=False),
        sa.Column("pmid", sa.String(length=16), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["citation_id"],
            ["citation.id"],
            name=op.f("fk_comment_correction_citation_id_citation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comment_correction")),
        sa.UniqueConstraint(
            "citation_id", "position", name=op.f("uq_comment_correction_citation_id_position")
        ),
    )
    with op.batch_alter_table("comment_correction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_comment_correction_pmid"), ["pmid"], unique=False)

    with op.batch_alter_table("citation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("elocation", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("pmid_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("pii", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("medline_status", sa.String(length=50), nullable=True))
        batch_op.add_column(
            sa.Column("is_book", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("keywords", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column("retracted", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("title_key", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("record_format", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("raw_record", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("record_hash", sa.String(length=64), nullable=True))
        batch_op.alter_column(
            "doi",
            existing_type=sa.VARCHAR(length=255),
            type_=sa.String(length=500),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "journal", existing_type=sa.VARCHAR(length=500), type_=sa.Text(), existing_nullable=True
        )
        batch_op.alter_column(
            "journal_abbrev",
            existing_type=sa.VARCHAR(length=200),
            type_=sa.Text(),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "publisher",
            existing_type=sa.VARCHAR(length=300),
            type_=sa.Text(),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "pub_date_text",
            existing_type=sa.VARCHAR(length=100),
            type_=sa.Text(),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "volume", existing_type=sa.VARCHAR(length=50), type_=sa.Text(), existing_nullable=True
        )
        batch_op.alter_column(
            "issue", existing_type=sa.VARCHAR(length=50), type_=sa.Text(), existing_nullable=True
        )
        batch_op.alter_column(
            "pages", existing_type=sa.VARCHAR(length=100), type_=sa.Text(), existing_nullable=True
        )
        batch_op.alter_column(
            "url", existing_type=sa.VARCHAR(length=1000), type_=sa.Text(), existing_nullable=True
        )
        batch_op.create_index(batch_op.f("ix_citation_retracted"), ["retracted"], unique=False)
        batch_op.create_index("ix_citation_title_key_year", ["title_key", "year"], unique=False)

    with op.batch_alter_table("citation_author", schema=None) as batch_op:
        batch_op.alter_column(
            "initials",
            existing_type=sa.VARCHAR(length=20),
            type_=sa.String(length=50),
            existing_nullable=True,
        )

    _rebuild_search_hit()
    _fill_title_keys()

    with op.batch_alter_table("search_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("runner", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("since_run_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("window_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("window_to", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("count_discrepancy", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("retrieved_count", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("new_count", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("updated_count", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("warnings", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column("errors", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column("missing_pmids", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column("timings", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.add_column(sa.Column("biopython_version", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("tool_version", sa.String(length=50), nullable=True))
        batch_op.create_check_constraint(
            "window_order", "window_from IS NULL OR window_to IS NULL OR window_from <= window_to"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_search_run_since_run_id_search_run"),
            "search_run",
            ["since_run_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("search_run", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_search_run_since_run_id_search_run"), type_="foreignkey"
        )
        batch_op.drop_constraint(op.f("ck_search_run_window_order"), type_="check")
        batch_op.drop_column("tool_version")
        batch_op.drop_column("biopython_version")
        batch_op.drop_column("timings")
        batch_op.drop_column("missing_pmids")
        batch_op.drop_column("errors")
        batch_op.drop_column("warnings")
        batch_op.drop_column("updated_count")
        batch_op.drop_column("new_count")
        batch_op.drop_column("retrieved_count")
        batch_op.drop_column("count_discrepancy")
        batch_op.drop_column("window_to")
        batch_op.drop_column("window_from")
        batch_op.drop_column("since_run_id")
        batch_op.drop_column("runner")
        batch_op.drop_column("heartbeat_at")

    _restore_search_hit()

    with op.batch_alter_table("citation_author", schema=None) as batch_op:
        batch_op.alter_column(
            "initials",
            existing_type=sa.String(length=50),
            type_=sa.VARCHAR(length=20),
            existing_nullable=True,
        )

    with op.batch_alter_table("citation", schema=None) as batch_op:
        batch_op.drop_index("ix_citation_title_key_year")
        batch_op.drop_index(batch_op.f("ix_citation_retracted"))
        batch_op.alter_column(
            "url", existing_type=sa.Text(), type_=sa.VARCHAR(length=1000), existing_nullable=True
        )
        batch_op.alter_column(
            "pages", existing_type=sa.Text(), type_=sa.VARCHAR(length=100), existing_nullable=True
        )
        batch_op.alter_column(
            "issue", existing_type=sa.Text(), type_=sa.VARCHAR(length=50), existing_nullable=True
        )
        batch_op.alter_column(
            "volume", existing_type=sa.Text(), type_=sa.VARCHAR(length=50), existing_nullable=True
        )
        batch_op.alter_column(
            "pub_date_text",
            existing_type=sa.Text(),
            type_=sa.VARCHAR(length=100),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "publisher",
            existing_type=sa.Text(),
            type_=sa.VARCHAR(length=300),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "journal_abbrev",
            existing_type=sa.Text(),
            type_=sa.VARCHAR(length=200),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "journal", existing_type=sa.Text(), type_=sa.VARCHAR(length=500), existing_nullable=True
        )
        batch_op.alter_column(
            "doi",
            existing_type=sa.String(length=500),
            type_=sa.VARCHAR(length=255),
            existing_nullable=True,
        )
        batch_op.drop_column("record_hash")
        batch_op.drop_column("raw_record")
        batch_op.drop_column("record_format")
        batch_op.drop_column("title_key")
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("retracted")
        batch_op.drop_column("keywords")
        batch_op.drop_column("is_book")
        batch_op.drop_column("medline_status")
        batch_op.drop_column("pii")
        batch_op.drop_column("pmid_version")
        batch_op.drop_column("elocation")

    with op.batch_alter_table("comment_correction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_comment_correction_pmid"))

    op.drop_table("comment_correction")


def _title_key(title: str) -> str:
    # The normalisation of this revision (services.catalog.normalise_title), frozen here.
    decomposed = unicodedata.normalize("NFKD", title)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.sub(r"[^a-z0-9]+", " ", plain.lower()).strip()[:255]


def _fill_title_keys() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, title FROM citation")).all()
    if rows:
        connection.execute(
            sa.text("UPDATE citation SET title_key = :key WHERE id = :id"),
            [{"key": _title_key(title), "id": row_id} for row_id, title in rows],
        )


def _create_search_hit(*, with_id: bool) -> None:
    columns: list[sa.Column[object] | sa.Constraint] = [
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("citation_id", sa.Integer(), nullable=with_id),
        sa.Column("is_new", sa.Boolean(), nullable=False),
        sa.CheckConstraint("rank >= 1", name=op.f("ck_search_hit_rank_positive")),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["search_run.id"],
            name=op.f("fk_search_hit_run_id_search_run"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["citation_id"],
            ["citation.id"],
            name=op.f("fk_search_hit_citation_id_citation"),
            ondelete="RESTRICT",
        ),
    ]
    if with_id:
        columns += [
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("pmid", sa.String(length=16), nullable=True),
            sa.Column(
                "state",
                sa.Enum(
                    "pending",
                    "fetched",
                    "missing",
                    name="state",
                    native_enum=False,
                    create_constraint=True,
                ),
                nullable=False,
            ),
            sa.Column("updated", sa.Boolean(), nullable=False),
            sa.CheckConstraint(
                "state <> 'fetched' OR citation_id IS NOT NULL",
                name=op.f("ck_search_hit_fetched_has_citation"),
            ),
            sa.PrimaryKeyConstraint("id", name=op.f("pk_search_hit")),
            sa.UniqueConstraint("run_id", "pmid", name=op.f("uq_search_hit_run_id_pmid")),
            sa.UniqueConstraint("run_id", "rank", name=op.f("uq_search_hit_run_id_rank")),
        ]
    else:
        columns.append(sa.PrimaryKeyConstraint("run_id", "citation_id", name=op.f("pk_search_hit")))
    op.create_table("search_hit", *columns)
    op.create_index(op.f("ix_search_hit_citation_id"), "search_hit", ["citation_id"])
    if with_id:
        op.create_index(op.f("ix_search_hit_pmid"), "search_hit", ["pmid"])
        op.create_index("ix_search_hit_run_id_state", "search_hit", ["run_id", "state"])


def _rebuild_search_hit() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT h.run_id, h.rank, h.citation_id, h.is_new, c.pmid "
            "FROM search_hit h JOIN citation c ON c.id = h.citation_id"
        )
    ).all()
    op.drop_table("search_hit")
    _create_search_hit(with_id=True)
    if rows:
        op.bulk_insert(
            sa.table(
                "search_hit",
                sa.column("run_id"),
                sa.column("rank"),
                sa.column("citation_id"),
                sa.column("is_new"),
                sa.column("pmid"),
                sa.column("state"),
                sa.column("updated"),
            ),
            [
                {
                    "run_id": run_id,
                    "rank": rank,
                    "citation_id": citation_id,
                    "is_new": is_new,
                    "pmid": pmid,
                    "state": "fetched",
                    "updated": False,
                }
                for run_id, rank, citation_id, is_new, pmid in rows
            ],
        )


def _restore_search_hit() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT run_id, rank, citation_id, is_new FROM search_hit WHERE citation_id IS NOT NULL"
        )
    ).all()
    op.drop_table("search_hit")
    _create_search_hit(with_id=False)
    if rows:
        op.bulk_insert(
            sa.table(
                "search_hit",
                sa.column("run_id"),
                sa.column("rank"),
                sa.column("citation_id"),
                sa.column("is_new"),
            ),
            [
                {"run_id": run_id, "rank": rank, "citation_id": citation_id, "is_new": is_new}
                for run_id, rank, citation_id, is_new in rows
            ],
        )
