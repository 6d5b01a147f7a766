"""Review workflow: users, screening votes, signed decisions with frozen evidence.

Reviewed by hand:

- app_user ("user" is reserved in PostgreSQL) with Argon2 hashes and roles.
- screening_reason / screening_vote / screening_resolution: dual screening, blind
  votes, and the third person's resolution.
- decision: a new decision names the one it supersedes (``supersedes_id``, unique),
  replacing ``superseded_by_id``, so decisions are never updated; existing links are
  turned round. Signature columns; decision_snapshot holds the frozen evidence.
- dossier and appraisal get ``version_id`` for optimistic locking; dossier gets its
  screening mode and re-search interval.
- Triggers make audit_event and decision_snapshot append-only on both databases.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:01:15.860428
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "chair",
                "member",
                "analyst",
                "auditor",
                name="role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    op.create_table(
        "screening_reason",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=50), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossier.id"],
            name=op.f("fk_screening_reason_dossier_id_dossier"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_reason")),
        sa.UniqueConstraint("dossier_id", "code", name=op.f("uq_screening_reason_dossier_id_code")),
    )
    op.create_table(
        "decision_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decision.id"],
            name=op.f("fk_decision_snapshot_decision_id_decision"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision_snapshot")),
        sa.UniqueConstraint("decision_id", name=op.f("uq_decision_snapshot_decision_id")),
    )
    op.create_table(
        "screening_resolution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("citation_id", sa.Integer(), nullable=False),
        sa.Column("resolved_by_id", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "included",
                "other",
                "excluded",
                name="outcome",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("reason_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["citation_id"],
            ["citation.id"],
            name=op.f("fk_screening_resolution_citation_id_citation"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossier.id"],
            name=op.f("fk_screening_resolution_dossier_id_dossier"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["reason_id"],
            ["screening_reason.id"],
            name=op.f("fk_screening_resolution_reason_id_screening_reason"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["app_user.id"],
            name=op.f("fk_screening_resolution_resolved_by_id_app_user"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_resolution")),
        sa.UniqueConstraint(
            "dossier_id", "citation_id", name=op.f("uq_screening_resolution_dossier_id_citation_id")
        ),
    )
    op.create_table(
        "screening_vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("citation_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "included",
                "other",
                "excluded",
                name="outcome",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("reason_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("voted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["citation_id"],
            ["citation.id"],
            name=op.f("fk_screening_vote_citation_id_citation"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossier.id"],
            name=op.f("fk_screening_vote_dossier_id_dossier"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["reason_id"],
            ["screening_reason.id"],
            name=op.f("fk_screening_vote_reason_id_screening_reason"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["app_user.id"],
            name=op.f("fk_screening_vote_reviewer_id_app_user"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_vote")),
        sa.UniqueConstraint(
            "dossier_id",
            "citation_id",
            "reviewer_id",
            name=op.f("uq_screening_vote_dossier_id_citation_id_reviewer_id"),
        ),
    )
    with op.batch_alter_table("screening_vote", schema=None) as batch_op:
        batch_op.create_index(
            "ix_screening_vote_dossier_id_citation_id", ["dossier_id", "citation_id"], unique=False
        )

    with op.batch_alter_table("appraisal", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("version_id", sa.Integer(), nullable=False, server_default="1")
        )

    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "screening_mode", sa.String(length=6), nullable=False, server_default="single"
            )
        )
        batch_op.add_column(
            sa.Column("re_search_interval_days", sa.Integer(), nullable=False, server_default="365")
        )
        batch_op.add_column(
            sa.Column("version_id", sa.Integer(), nullable=False, server_default="1")
        )
        batch_op.create_check_constraint("screening_mode", "screening_mode IN ('single', 'dual')")
        batch_op.create_check_constraint("interval_positive", "re_search_interval_days > 0")

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_role", sa.String(length=20), nullable=True))

    _decisions_point_back()
    _protect_append_only_tables()


def downgrade() -> None:
    _unprotect_append_only_tables()
    _decisions_point_forward()
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("actor_role")
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_dossier_interval_positive"), type_="check")
        batch_op.drop_constraint(op.f("ck_dossier_screening_mode"), type_="check")
        batch_op.drop_column("version_id")
        batch_op.drop_column("re_search_interval_days")
        batch_op.drop_column("screening_mode")

    with op.batch_alter_table("appraisal", schema=None) as batch_op:
        batch_op.drop_column("version_id")

    op.drop_table("screening_vote")
    op.drop_table("screening_resolution")
    op.drop_table("decision_snapshot")
    op.drop_table("screening_reason")
    op.drop_table("app_user")


def _decisions_point_back() -> None:
    """A new decision names the one it supersedes; no decision row is updated again."""
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supersedes_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("signed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("signature_meaning", sa.String(length=8), nullable=True))
    op.execute(
        "UPDATE decision SET supersedes_id = "
        "(SELECT earlier.id FROM decision earlier WHERE earlier.superseded_by_id = decision.id)"
    )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_decision_not_self_superseded"), type_="check")
        batch_op.drop_constraint(op.f("uq_decision_superseded_by_id"), type_="unique")
        batch_op.drop_constraint(op.f("fk_decision_superseded_by_id_decision"), type_="foreignkey")
        batch_op.drop_column("superseded_by_id")
        batch_op.create_unique_constraint("uq_decision_supersedes_id", ["supersedes_id"])
        batch_op.create_foreign_key(
            "fk_decision_supersedes_id_decision",
            "decision",
            ["supersedes_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_foreign_key(
            "fk_decision_signed_by_id_app_user",
            "app_user",
            ["signed_by_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_check_constraint("not_self", "supersedes_id IS NULL OR supersedes_id <> id")
        batch_op.create_check_constraint(
            "signature_complete", "(signed_by_id IS NULL) = (signed_at IS NULL)"
        )
        batch_op.create_check_constraint(
            "signature_meaning",
            "signature_meaning IN ('approved', 'reviewed', 'authored')",
        )


def _decisions_point_forward() -> None:
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("superseded_by_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE decision SET superseded_by_id = "
        "(SELECT later.id FROM decision later WHERE later.supersedes_id = decision.id)"
    )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_decision_signature_meaning"), type_="check")
        batch_op.drop_constraint(op.f("ck_decision_signature_complete"), type_="check")
        batch_op.drop_constraint(op.f("ck_decision_not_self"), type_="check")
        batch_op.drop_constraint(op.f("fk_decision_signed_by_id_app_user"), type_="foreignkey")
        batch_op.drop_constraint(op.f("fk_decision_supersedes_id_decision"), type_="foreignkey")
        batch_op.drop_constraint(op.f("uq_decision_supersedes_id"), type_="unique")
        batch_op.drop_column("signature_meaning")
        batch_op.drop_column("signed_at")
        batch_op.drop_column("signed_by_id")
        batch_op.drop_column("supersedes_id")
        batch_op.create_unique_constraint("uq_decision_superseded_by_id", ["superseded_by_id"])
        batch_op.create_foreign_key(
            "fk_decision_superseded_by_id_decision",
            "decision",
            ["superseded_by_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_check_constraint(
            "not_self_superseded", "superseded_by_id IS NULL OR superseded_by_id <> id"
        )


# The audit trail and decision snapshots are append-only: the database itself refuses
# UPDATE and DELETE on them, whichever program connects.
APPEND_ONLY = ("audit_event", "decision_snapshot")


def _protect_append_only_tables() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'integrity_constraint_violation';
            END $$
            """
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
            )
        return
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END"
            )


def _unprotect_append_only_tables() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION refuse_change()")
        return
    for table in APPEND_ONLY:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER {table}_no_{action}")
