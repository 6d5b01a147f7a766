"""Appraisals: a citation as judged for one dossier, with its counts and cases."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.models.base import Base, UTCDateTime, enum_type
from evidence.models.vocabulary import (
    NaranjoAnswer,
    NaranjoCategory,
    ScreeningOutcome,
    Sex,
    StudyDesign,
    WhoUmcCategory,
)

if TYPE_CHECKING:
    from evidence.models.citations import Citation
    from evidence.models.dossiers import Dossier


class Appraisal(Base):
    __tablename__ = "appraisal"
    __table_args__ = (
        sa.UniqueConstraint("dossier_id", "citation_id"),
        sa.CheckConstraint(
            "evidence_score IS NULL OR (evidence_score >= 0 AND evidence_score <= 4)",
            name="evidence_score_range",
        ),
        sa.CheckConstraint(
            "screening = 'excluded' OR exclusion_reason IS NULL", name="reason_only_if_excluded"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(sa.ForeignKey("dossier.id", ondelete="RESTRICT"))
    citation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("citation.id", ondelete="RESTRICT"), index=True
    )
    position: Mapped[int]
    screening: Mapped[ScreeningOutcome] = mapped_column(enum_type(ScreeningOutcome, "screening"))
    exclusion_reason: Mapped[str | None] = mapped_column(sa.Text)
    evidence_score: Mapped[int | None]
    score_basis: Mapped[str | None] = mapped_column(sa.Text)
    study_design: Mapped[StudyDesign | None] = mapped_column(enum_type(StudyDesign, "study_design"))
    results: Mapped[str | None] = mapped_column(sa.Text)
    author_remarks: Mapped[str | None] = mapped_column(sa.Text)
    appraised_by: Mapped[str | None] = mapped_column(sa.String(200))
    appraised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Optimistic locking: an UPDATE names the version it read; a stale one changes nothing.
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}  # noqa: RUF012 - SQLAlchemy's API

    dossier: Mapped[Dossier] = relationship(back_populates="appraisals")
    citation: Mapped[Citation] = relationship()
    counts: Mapped[list[AppraisalCount]] = relationship(
        order_by="AppraisalCount.position", cascade="all, delete-orphan", passive_deletes=True
    )
    cases: Mapped[list[Case]] = relationship(
        order_by="Case.position", cascade="all, delete-orphan", passive_deletes=True
    )


class AppraisalCount(Base):
    """One ``n`` of a source with what it counts; a source may have several."""

    __tablename__ = "appraisal_count"
    __table_args__ = (
        sa.UniqueConstraint("appraisal_id", "position"),
        sa.CheckConstraint("n >= 0", name="n_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appraisal_id: Mapped[int] = mapped_column(sa.ForeignKey("appraisal.id", ondelete="CASCADE"))
    position: Mapped[int]
    label: Mapped[str | None] = mapped_column(sa.String(100))
    n: Mapped[int]
    counts: Mapped[str] = mapped_column(sa.Text)


def _naranjo_column(question: int) -> Mapped[NaranjoAnswer | None]:
    # One named CHECK constraint per question: PostgreSQL wants names unique per table.
    return mapped_column(enum_type(NaranjoAnswer, f"naranjo_{question}"))


class Case(Base):
    """A patient described in an appraised source, with its causality assessment.

    The Naranjo score is computed from the ten answers (``evidence.causality``),
    never typed in; a score the authors reported is kept apart, with its source.
    """

    __tablename__ = "patient_case"
    __table_args__ = (
        sa.UniqueConstraint("appraisal_id", "position"),
        sa.CheckConstraint(
            "age_years IS NULL OR (age_years >= 0 AND age_years <= 130)", name="age_range"
        ),
        sa.CheckConstraint(
            "naranjo_reported_score IS NULL OR "
            "(naranjo_reported_score >= -4 AND naranjo_reported_score <= 13)",
            name="naranjo_reported_score_range",
        ),
        sa.CheckConstraint(
            "time_to_onset_hours IS NULL OR time_to_onset_hours >= 0", name="onset_not_negative"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appraisal_id: Mapped[int] = mapped_column(sa.ForeignKey("appraisal.id", ondelete="CASCADE"))
    position: Mapped[int]
    label: Mapped[str | None] = mapped_column(sa.String(100))
    sex: Mapped[Sex | None] = mapped_column(enum_type(Sex, "sex"))
    age_years: Mapped[int | None]
    history: Mapped[str | None] = mapped_column(sa.Text)
    dose_regimen: Mapped[str | None] = mapped_column(sa.Text)
    time_to_onset: Mapped[str | None] = mapped_column(sa.Text)
    time_to_onset_hours: Mapped[float | None]
    co_medication: Mapped[str | None] = mapped_column(sa.Text)
    outcome: Mapped[str | None] = mapped_column(sa.Text)
    other_findings: Mapped[str | None] = mapped_column(sa.Text)
    naranjo_1: Mapped[NaranjoAnswer | None] = _naranjo_column(1)
    naranjo_2: Mapped[NaranjoAnswer | None] = _naranjo_column(2)
    naranjo_3: Mapped[NaranjoAnswer | None] = _naranjo_column(3)
    naranjo_4: Mapped[NaranjoAnswer | None] = _naranjo_column(4)
    naranjo_5: Mapped[NaranjoAnswer | None] = _naranjo_column(5)
    naranjo_6: Mapped[NaranjoAnswer | None] = _naranjo_column(6)
    naranjo_7: Mapped[NaranjoAnswer | None] = _naranjo_column(7)
    naranjo_8: Mapped[NaranjoAnswer | None] = _naranjo_column(8)
    naranjo_9: Mapped[NaranjoAnswer | None] = _naranjo_column(9)
    naranjo_10: Mapped[NaranjoAnswer | None] = _naranjo_column(10)
    naranjo_reported_score: Mapped[int | None]
    naranjo_reported_category: Mapped[NaranjoCategory | None] = mapped_column(
        enum_type(NaranjoCategory, "naranjo_reported_category")
    )
    naranjo_reported_source: Mapped[str | None] = mapped_column(sa.Text)
    who_umc_category: Mapped[WhoUmcCategory | None] = mapped_column(
        enum_type(WhoUmcCategory, "who_umc_category")
    )
    who_umc_assessor: Mapped[str | None] = mapped_column(sa.String(200))
    who_umc_assessed_on: Mapped[date | None]

    @property
    def naranjo_answers(self) -> tuple[NaranjoAnswer | None, ...]:
        return tuple(getattr(self, f"naranjo_{i}") for i in range(1, 11))
