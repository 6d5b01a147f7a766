"""What a product's summary of product characteristics (SPC) says."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.models.base import Base, enum_type
from evidence.models.vocabulary import FrequencyCategory, OrganClass, SpcSection

if TYPE_CHECKING:
    from evidence.models.substances import Product, Substance


class SpcStatement(Base):
    """One statement of one SPC section; several products may print the same words.

    Organ class and frequency are kept twice: our own key, and the wording as the
    SPC prints it (which may predate the frequency convention).
    """

    __tablename__ = "spc_statement"

    id: Mapped[int] = mapped_column(primary_key=True)
    substance_id: Mapped[int] = mapped_column(
        sa.ForeignKey("substance.id", ondelete="RESTRICT"), index=True
    )
    position: Mapped[int]
    section: Mapped[SpcSection] = mapped_column(enum_type(SpcSection, "section"), index=True)
    organ_class: Mapped[OrganClass | None] = mapped_column(enum_type(OrganClass, "organ_class"))
    organ_class_text: Mapped[str | None] = mapped_column(sa.Text)
    term: Mapped[str | None] = mapped_column(sa.Text)
    frequency: Mapped[FrequencyCategory | None] = mapped_column(
        enum_type(FrequencyCategory, "frequency")
    )
    frequency_text: Mapped[str | None] = mapped_column(sa.Text)
    text: Mapped[str] = mapped_column(sa.Text)
    language: Mapped[str] = mapped_column(sa.String(10), default="nl")
    note: Mapped[str | None] = mapped_column(sa.Text)

    substance: Mapped[Substance] = relationship()
    products: Mapped[list[SpcStatementProduct]] = relationship(
        back_populates="statement",
        order_by="SpcStatementProduct.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class SpcStatementProduct(Base):
    """A product whose SPC, revised on ``spc_date``, carries the statement."""

    __tablename__ = "spc_statement_product"

    statement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("spc_statement.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("product.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    position: Mapped[int]
    spc_date: Mapped[date | None] = mapped_column(index=True)

    statement: Mapped[SpcStatement] = relationship(back_populates="products")
    product: Mapped[Product] = relationship()
