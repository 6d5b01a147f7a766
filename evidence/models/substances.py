"""What a dossier is about: a substance, its products, and a patient condition."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evidence.models.base import Base

if TYPE_CHECKING:
    from evidence.models.dossiers import Dossier


class Substance(Base):
    """An active ingredient, named as the G-Standaard writes it ("immunoglobuline, normaal")."""

    __tablename__ = "substance"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    atc_code: Mapped[str | None] = mapped_column(sa.String(16))
    synonyms: Mapped[list[str]] = mapped_column(sa.JSON, default=list)

    products: Mapped[list[Product]] = relationship(
        back_populates="substance", order_by="Product.name"
    )


class Product(Base):
    """A branded medicinal product of one substance (GammaQuin, Ilomedine)."""

    __tablename__ = "product"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    substance_id: Mapped[int] = mapped_column(
        sa.ForeignKey("substance.id", ondelete="RESTRICT"), index=True
    )
    synonyms: Mapped[list[str]] = mapped_column(sa.JSON, default=list)

    substance: Mapped[Substance] = relationship(back_populates="products")


class Condition(Base):
    """The patient condition of a contra-indication, with an optional code (e.g. MeSH)."""

    __tablename__ = "condition"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    synonyms: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    code_system: Mapped[str | None] = mapped_column(sa.String(100))
    code: Mapped[str | None] = mapped_column(sa.String(50))

    dossiers: Mapped[list[Dossier]] = relationship(back_populates="condition")
