"""Initial evidence store.

Reviewed by hand. Deliberate choices, so that a later migration can rely on them:

- Constraint names come from the naming convention in ``evidence.models.base``.
- Every enumeration is a VARCHAR with a named CHECK constraint (no native enum
  types), so values can be added by replacing one constraint on both databases.
- Delete rules: parts of a dossier (abbreviations, PICO, risk factors) and of a
  citation (authors, abstract sections, MeSH, publication types) CASCADE with
  their owner; evidence and decisions (appraisals, search strategies and runs,
  decisions, citations that are cited) RESTRICT, so appraised evidence is never
  removed by a side effect.
- Timestamps are ``timestamptz`` on PostgreSQL; on SQLite the application stores
  UTC (``UTCDateTime``).

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("entity_type", sa.String(length=50), nullable=False),
        sa.Column("entity_id", sa.String(length=100), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("client", sa.String(length=50), nullable=True),
        sa.Column("app_version", sa.String(length=50), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=True),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_event_hash")),
    )
    op.create_index(
        "ix_audit_event_entity", "audit_event", ["entity_type", "entity_id"], unique=False
    )

    op.create_table(
        "citation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pmid", sa.String(length=16), nullable=True),
        sa.Column("doi", sa.String(length=255), nullable=True),
        sa.Column("pmcid", sa.String(length=20), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("vernacular_title", sa.Text(), nullable=True),
        sa.Column("journal", sa.String(length=500), nullable=True),
        sa.Column("journal_abbrev", sa.String(length=200), nullable=True),
        sa.Column("issn", sa.String(length=20), nullable=True),
        sa.Column("publisher", sa.String(length=300), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("pub_date_text", sa.String(length=100), nullable=True),
        sa.Column("volume", sa.String(length=50), nullable=True),
        sa.Column("issue", sa.String(length=50), nullable=True),
        sa.Column("pages", sa.String(length=100), nullable=True),
        sa.Column("language", sa.String(length=10), nullable=True),
        sa.Column("url", sa.String(length=1000), nullable=True),
        sa.Column("author_list_complete", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "doi IS NULL OR doi = lower(doi)", name=op.f("ck_citation_doi_lowercase")
        ),
        sa.CheckConstraint(
            "year IS NULL OR (year >= 1500 AND year <= 2200)", name=op.f("ck_citation_year_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citation")),
        sa.UniqueConstraint("doi", name=op.f("uq_citation_doi")),
        sa.UniqueConstraint("pmid", name=op.f("uq_citation_pmid")),
    )
    op.create_index(op.f("ix_citation_year"), "citation", ["year"], unique=False)

    op.create_table(
        "condition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("synonyms", sa.JSON(), nullable=False),
        sa.Column("code_system", sa.String(length=100), nullable=True),
        sa.Column("code", sa.String(length=50), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_condition")),
        sa.UniqueConstraint("name", name=op.f("uq_condition_name")),
    )
    op.create_table(
        "substance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("atc_code", sa.String(length=16), nullable=True),
        sa.Column("synonyms", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_substance")),
        sa.UniqueConstraint("name", name=op.f("uq_substance_name")),
    )
    op.create_table(
        "abstract_section",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("nlm_category", sa.String(length=50), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["citation_id"],
            ["citation.id"],
            name=op.f("fk_abstract_section_citation_id_citation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_abstract_section")),
        sa.UniqueConstraint(
            "citation_id", "position", name=op.f("uq_abstract_section_citation_id_position")
        ),
    )
    op.create_table(
        "citation_author",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("last_name", sa.String(length=200), nullable=True),
        sa.Column("fore_name", sa.String(length=200), nullable=True),
        sa.Column("initials", sa.String(length=20), nullable=True),
        sa.Column("collective_name", sa.Text(), nullable=True),
        sa.Column("affiliation", sa.Text(), nullable=True),
        sa.Column("orcid", sa.String(length=50), nullable=True),
        sa.CheckConstraint(
            "last_name IS NOT NULL OR collective_name IS NOT NULL",
            name=op.f("ck_citation_author_named"),
        ),
        sa.ForeignKeyConstraint(
            ["citation_id"],
            ["citation.id"],
            name=op.f("fk_citation_author_citation_id_citation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citation_author")),
        sa.UniqueConstraint(
            "citation_id", "position", name=op.f("uq_citation_author_citation_id_position")
        ),
    )
    op.create_index(
        op.f("ix_citation_author_last_name"), "citation_author", ["last_name"], unique=False
    )

    op.create_table(
        "citation_publication_type",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("ui", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["citation_id"],
            ["citation.id"],
            name=op.f("fk_citation_publication_type_citation_id_citation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citation_publication_type")),
        sa.UniqueConstraint(
            "citation_id",
            "position",
            name=op.f("uq_citation_publication_type_citation_id_position"),
        ),
    )
    op.create_index(
        op.f("ix_citation_publication_type_name"),
        "citation_publication_type",
        ["name"],
        unique=False,
    )

    op.create_table(
        "dossier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=50), nullable=False),
        sa.Column("reference_scheme", sa.String(length=100), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("substance_id", sa.Integer(), nullable=False),
        sa.Column("condition_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "in_review",
                "decided",
                "re_evaluation_due",
                name="status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("conclusion", sa.Text(), nullable=True),
        sa.Column("additional_remarks", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["condition_id"],
            ["condition.id"],
            name=op.f("fk_dossier_condition_id_condition"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["substance_id"],
            ["substance.id"],
            name=op.f("fk_dossier_substance_id_substance"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier")),
        sa.UniqueConstraint("reference", name=op.f("uq_dossier_reference")),
        sa.UniqueConstraint(
            "substance_id", "condition_id", name=op.f("uq_dossier_substance_id_condition_id")
        ),
    )
    op.create_index(op.f("ix_dossier_condition_id"), "dossier", ["condition_id"], unique=False)
    op.create_index(op.f("ix_dossier_status"), "dossier", ["status"], unique=False)
    op.create_index(op.f("ix_dossier_substance_id"), "dossier", ["substance_id"], unique=False)

    op.create_table(
        "mesh_heading",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("citation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("descriptor", sa.String(length=300), nullable=False),
        sa.Column("descriptor_ui", sa.String(length=20), nullable=True),
        sa.Column("major_topic", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["citation_id"],
            ["citation.id"],
            name=op.f("fk_mesh_heading_citation_id_citation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mesh_heading")),
        sa.UniqueConstraint(
            "citation_id", "position", name=op.f("uq_mesh_heading_citation_id_position")
        ),
    )
    op.create_index(
        op.f("ix_mesh_heading_descriptor"), "mesh_heading", ["descriptor"], unique=False
    )

    op.create_table(
        "product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("substance_id", sa.Integer(), nullable=False),
        sa.Column("synonyms", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["substance_id"],
            ["substance.id"],
            name=op.f("fk_product_substance_id_substance"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product")),
        sa.UniqueConstraint("name", name=op.f("uq_product_name")),
    )
    op.create_index(op.f("ix_product_substance_id"), "product", ["substance_id"], unique=False)

    op.create_table(
        "spc_statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("substance_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "section",
            sa.Enum(
                "4.3",
                "4.4",
                "4.5",
                "4.6",
                "4.8",
                name="section",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "organ_class",
            sa.Enum(
                "infections",
                "neoplasms",
                "blood_lymphatic",
                "immune_system",
                "endocrine",
                "metabolism_nutrition",
                "psychiatric",
                "nervous_system",
                "eye",
                "ear_labyrinth",
                "cardiac",
                "vascular",
                "respiratory",
                "gastrointestinal",
                "hepatobiliary",
                "skin",
                "musculoskeletal",
                "renal_urinary",
                "pregnancy_perinatal",
                "reproductive_breast",
                "congenital",
                "general_administration_site",
                "investigations",
                "injury_procedural",
                "procedures",
                "social_circumstances",
                "product_issues",
                name="organ_class",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("organ_class_text", sa.Text(), nullable=True),
        sa.Column("term", sa.Text(), nullable=True),
        sa.Column(
            "frequency",
            sa.Enum(
                "very_common",
                "common",
                "uncommon",
                "rare",
                "very_rare",
                "not_known",
                name="frequency",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("frequency_text", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["substance_id"],
            ["substance.id"],
            name=op.f("fk_spc_statement_substance_id_substance"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spc_statement")),
    )
    op.create_index(op.f("ix_spc_statement_section"), "spc_statement", ["section"], unique=False)
    op.create_index(
        op.f("ix_spc_statement_substance_id"), "spc_statement", ["substance_id"], unique=False
    )

    op.create_table(
        "appraisal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("citation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "screening",
            sa.Enum(
                "included",
                "other",
                "excluded",
                name="screening",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("exclusion_reason", sa.Text(), nullable=True),
        sa.Column("evidence_score", sa.Integer(), nullable=True),
        sa.Column("score_basis", sa.Text(), nullable=True),
        sa.Column(
            "study_design",
            sa.Enum(
                "case_report",
                "case_series",
                "literature_review",
                "systematic_review",
                "meta_analysis",
                "randomised_trial",
                "cohort_study",
                "case_control_study",
                "observational_study",
                "in_vitro",
                "animal",
                "guideline",
                "other",
                name="study_design",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("results", sa.Text(), nullable=True),
        sa.Column("author_remarks", sa.Text(), nullable=True),
        sa.Column("appraised_by", sa.String(length=200), nullable=True),
        sa.Column("appraised_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "screening = 'excluded' OR exclusion_reason IS NULL",
            name=op.f("ck_appraisal_reason_only_if_excluded"),
        ),
        sa.CheckConstraint(
            "evidence_score IS NULL OR (evidence_score >= 0 AND evidence_score <= 4)",
            name=op.f("ck_appraisal_evidence_score_range"),
        ),
        sa.ForeignKeyConstraint(
            ["citation_id"],
            ["citation.id"],
            name=op.f("fk_appraisal_citation_id_citation"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossier.id"],
            name=op.f("fk_appraisal_dossier_id_dossier"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal")),
        sa.UniqueConstraint(
            "dossier_id", "citation_id", name=op.f("uq_appraisal_dossier_id_citation_id")
        ),
    )
    op.create_index(op.f("ix_appraisal_citation_id"), "appraisal", ["citation_id"], unique=False)

    op.create_table(
        "decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("contraindication", sa.Boolean(), nullable=False),
        sa.Column("action_needed", sa.Boolean(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column(
            "severity",
            sa.Enum(
                "A",
                "B",
                "C",
                "D",
                "E",
                "F",
                name="severity",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "superseded_by_id IS NULL OR superseded_by_id <> id",
            name=op.f("ck_decision_not_self_superseded"),
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossier.id"],
            name=op.f("fk_decision_dossier_id_dossier"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["decision.id"],
            name=op.f("fk_decision_superseded_by_id_decision"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision")),
        sa.UniqueConstraint("superseded_by_id", name=op.f("uq_decision_superseded_by_id")),
    )
    op.create_index(
        "ix_decision_dossier_id_decided_on", "decision", ["dossier_id", "decided_on"], unique=False
    )

    op.create_table(
        "dossier_abbreviation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("abbreviation", sa.String(length=50), nullable=False),
        sa.Column("meaning", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossier.id"],
            name=op.f("fk_dossier_abbreviation_dossier_id_dossier"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_abbreviation")),
        sa.UniqueConstraint(
            "dossier_id", "position", name=op.f("uq_dossier_abbreviation_dossier_id_position")
        ),
    )
    op.create_table(
        "mesh_qualifier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("heading_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("ui", sa.String(length=20), nullable=True),
        sa.Column("major_topic", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["heading_id"],
            ["mesh_heading.id"],
            name=op.f("fk_mesh_qualifier_heading_id_mesh_heading"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mesh_qualifier")),
        sa.UniqueConstraint(
            "heading_id", "position", name=op.f("uq_mesh_qualifier_heading_id_position")
        ),
    )
    op.create_table(
        "pico",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("population", sa.Text(), nullable=False),
        sa.Column("intervention", sa.Text(), nullable=False),
        sa.Column("comparison", sa.Text(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossier.id"],
            name=op.f("fk_pico_dossier_id_dossier"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pico")),
        sa.UniqueConstraint("dossier_id", name=op.f("uq_pico_dossier_id")),
    )
    op.create_table(
        "risk_factor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossier.id"],
            name=op.f("fk_risk_factor_dossier_id_dossier"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_factor")),
        sa.UniqueConstraint(
            "dossier_id", "position", name=op.f("uq_risk_factor_dossier_id_position")
        ),
    )
    op.create_table(
        "search_strategy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("mesh_terms_only", sa.Boolean(), nullable=False),
        sa.Column("publication_types", sa.JSON(), nullable=False),
        sa.Column("species", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column(
            "text_availability",
            sa.Enum(
                "abstract",
                "full_text",
                "free_full_text",
                name="text_availability",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("date_from", sa.Date(), nullable=True),
        sa.Column("date_to", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "date_from IS NULL OR date_to IS NULL OR date_from <= date_to",
            name=op.f("ck_search_strategy_date_order"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_search_strategy_version_positive")),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossier.id"],
            name=op.f("fk_search_strategy_dossier_id_dossier"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_strategy")),
        sa.UniqueConstraint(
            "dossier_id", "name", "version", name=op.f("uq_search_strategy_dossier_id_name_version")
        ),
    )
    op.create_index(
        op.f("ix_search_strategy_dossier_id"), "search_strategy", ["dossier_id"], unique=False
    )

    op.create_table(
        "spc_statement_product",
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("spc_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_spc_statement_product_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["spc_statement.id"],
            name=op.f("fk_spc_statement_product_statement_id_spc_statement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "statement_id", "product_id", name=op.f("pk_spc_statement_product")
        ),
    )
    op.create_index(
        op.f("ix_spc_statement_product_product_id"),
        "spc_statement_product",
        ["product_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_spc_statement_product_spc_date"),
        "spc_statement_product",
        ["spc_date"],
        unique=False,
    )

    op.create_table(
        "appraisal_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appraisal_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.CheckConstraint("n >= 0", name=op.f("ck_appraisal_count_n_not_negative")),
        sa.ForeignKeyConstraint(
            ["appraisal_id"],
            ["appraisal.id"],
            name=op.f("fk_appraisal_count_appraisal_id_appraisal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appraisal_count")),
        sa.UniqueConstraint(
            "appraisal_id", "position", name=op.f("uq_appraisal_count_appraisal_id_position")
        ),
    )
    op.create_table(
        "patient_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appraisal_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=True),
        sa.Column(
            "sex",
            sa.Enum(
                "female", "male", "unknown", name="sex", native_enum=False, create_constraint=True
            ),
            nullable=True,
        ),
        sa.Column("age_years", sa.Integer(), nullable=True),
        sa.Column("history", sa.Text(), nullable=True),
        sa.Column("dose_regimen", sa.Text(), nullable=True),
        sa.Column("time_to_onset", sa.Text(), nullable=True),
        sa.Column("time_to_onset_hours", sa.Double(), nullable=True),
        sa.Column("co_medication", sa.Text(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("other_findings", sa.Text(), nullable=True),
        sa.Column(
            "naranjo_1",
            sa.Enum(
                "yes", "no", "unknown", name="naranjo_1", native_enum=False, create_constraint=True
            ),
            nullable=True,
        ),
        sa.Column(
            "naranjo_2",
            sa.Enum(
                "yes", "no", "unknown", name="naranjo_2", native_enum=False, create_constraint=True
            ),
            nullable=True,
        ),
        sa.Column(
            "naranjo_3",
            sa.Enum(
                "yes", "no", "unknown", name="naranjo_3", native_enum=False, create_constraint=True
            ),
            nullable=True,
        ),
        sa.Column(
            "naranjo_4",
            sa.Enum(
                "yes", "no", "unknown", name="naranjo_4", native_enum=False, create_constraint=True
            ),
            nullable=True,
        ),
        sa.Column(
            "naranjo_5",
            sa.Enum(
                "yes", "no", "unknown", name="naranjo_5", native_enum=False, create_constraint=True
            ),
            nullable=True,
        ),
        sa.Column(
            "naranjo_6",
            sa.Enum(
                "yes", "no", "unknown", name="naranjo_6", native_enum=False, create_constraint=True
            ),
            nullable=True,
        ),
        sa.Column(
            "naranjo_7",
            sa.Enum(
                "yes", "no", "unknown", name="naranjo_7", native_enum=False, create_constraint=True
            ),
            nullable=True,
        ),
        sa.Column(
            "naranjo_8",
            sa.Enum(
                "yes", "no", "unknown", name="naranjo_8", native_enum=False, create_constraint=True
            ),
            nullable=True,
        ),
        sa.Column(
            "naranjo_9",
            sa.Enum(
                "yes", "no", "unknown", name="naranjo_9", native_enum=False, create_constraint=True
            ),
            nullable=True,
        ),
        sa.Column(
            "naranjo_10",
            sa.Enum(
                "yes", "no", "unknown", name="naranjo_10", native_enum=False, create_constraint=True
            ),
            nullable=True,
        ),
        sa.Column("naranjo_reported_score", sa.Integer(), nullable=True),
        sa.Column(
            "naranjo_reported_category",
            sa.Enum(
                "definite",
                "probable",
                "possible",
                "doubtful",
                name="naranjo_reported_category",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("naranjo_reported_source", sa.Text(), nullable=True),
        sa.Column(
            "who_umc_category",
            sa.Enum(
                "certain",
                "probable",
                "possible",
                "unlikely",
                "conditional",
                "unassessable",
                name="who_umc_category",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("who_umc_assessor", sa.String(length=200), nullable=True),
        sa.Column("who_umc_assessed_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "age_years IS NULL OR (age_years >= 0 AND age_years <= 130)",
            name=op.f("ck_patient_case_age_range"),
        ),
        sa.CheckConstraint(
            "naranjo_reported_score IS NULL OR (naranjo_reported_score >= -4 AND naranjo_reported_score <= 13)",
            name=op.f("ck_patient_case_naranjo_reported_score_range"),
        ),
        sa.CheckConstraint(
            "time_to_onset_hours IS NULL OR time_to_onset_hours >= 0",
            name=op.f("ck_patient_case_onset_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["appraisal_id"],
            ["appraisal.id"],
            name=op.f("fk_patient_case_appraisal_id_appraisal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_case")),
        sa.UniqueConstraint(
            "appraisal_id", "position", name=op.f("uq_patient_case_appraisal_id_position")
        ),
    )
    op.create_table(
        "risk_factor_source",
        sa.Column("risk_factor_id", sa.Integer(), nullable=False),
        sa.Column("citation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["citation_id"],
            ["citation.id"],
            name=op.f("fk_risk_factor_source_citation_id_citation"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["risk_factor_id"],
            ["risk_factor.id"],
            name=op.f("fk_risk_factor_source_risk_factor_id_risk_factor"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "risk_factor_id", "citation_id", name=op.f("pk_risk_factor_source")
        ),
    )
    op.create_index(
        op.f("ix_risk_factor_source_citation_id"),
        "risk_factor_source",
        ["citation_id"],
        unique=False,
    )

    op.create_table(
        "search_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("strategy_id", sa.Integer(), nullable=False),
        sa.Column("run_date", sa.Date(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("executed_by", sa.String(length=200), nullable=True),
        sa.Column("query_sent", sa.Text(), nullable=True),
        sa.Column("query_translation", sa.Text(), nullable=True),
        sa.Column("result_count", sa.Integer(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "recorded",
                "running",
                "completed",
                "incomplete",
                "failed",
                name="outcome",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "result_count IS NULL OR result_count >= 0", name=op.f("ck_search_run_count_positive")
        ),
        sa.ForeignKeyConstraint(
            ["strategy_id"],
            ["search_strategy.id"],
            name=op.f("fk_search_run_strategy_id_search_strategy"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_run")),
    )
    op.create_index(op.f("ix_search_run_strategy_id"), "search_run", ["strategy_id"], unique=False)

    op.create_table(
        "search_hit",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("citation_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("is_new", sa.Boolean(), nullable=False),
        sa.CheckConstraint("rank >= 1", name=op.f("ck_search_hit_rank_positive")),
        sa.ForeignKeyConstraint(
            ["citation_id"],
            ["citation.id"],
            name=op.f("fk_search_hit_citation_id_citation"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["search_run.id"],
            name=op.f("fk_search_hit_run_id_search_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "citation_id", name=op.f("pk_search_hit")),
    )
    op.create_index(op.f("ix_search_hit_citation_id"), "search_hit", ["citation_id"], unique=False)


def downgrade() -> None:
    # Dependents first; dropping a table drops its indexes and constraints.
    for table in (
        "search_hit",
        "search_run",
        "risk_factor_source",
        "patient_case",
        "appraisal_count",
        "spc_statement_product",
        "search_strategy",
        "risk_factor",
        "pico",
        "mesh_qualifier",
        "dossier_abbreviation",
        "decision",
        "appraisal",
        "spc_statement",
        "product",
        "mesh_heading",
        "dossier",
        "citation_publication_type",
        "citation_author",
        "abstract_section",
        "substance",
        "condition",
        "citation",
        "audit_event",
    ):
        op.drop_table(table)
