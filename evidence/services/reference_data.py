"""The reference dossiers shipped with the package, loaded by ``evidence demo``."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from evidence.dossier_files import parse_dossier_text
from evidence.models import Dossier
from evidence.services.audit import Actor
from evidence.services.dossier_import import import_dossier


@dataclass(frozen=True)
class LoadResult:
    reference: str
    title: str
    loaded: bool  # False: it was already in the database


def reference_dossier_files() -> list[Traversable]:
    folder = resources.files("evidence").joinpath("reference_dossiers")
    return sorted(
        (item for item in folder.iterdir() if item.name.endswith(".yaml")),
        key=lambda item: item.name,
    )


def load_reference_dossiers(session: Session, *, actor: Actor) -> list[LoadResult]:
    """Import each reference dossier that is not stored yet; running twice changes nothing."""
    results = []
    for item in reference_dossier_files():
        document = parse_dossier_text(item.read_text(encoding="utf-8"), source=item.name)
        reference = document["reference"]
        exists = session.scalar(sa.select(Dossier.id).where(Dossier.reference == reference))
        if exists is None:
            import_dossier(session, document=document, actor=actor, source=item.name)
        results.append(LoadResult(reference, document["title"], loaded=exists is None))
    return results
