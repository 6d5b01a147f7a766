"""Screening settings of a dossier: single or dual mode, and the coded reasons votes give."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from evidence.errors import Conflict, InvalidInput
from evidence.models import Dossier, ScreeningReason, ScreeningResolution, ScreeningVote
from evidence.models.vocabulary import ScreeningMode
from evidence.permissions import Permission, require
from evidence.services.audit import Actor, record_event
from evidence.services.screening import dossier_by_reference, is_decided

# The schema's limit on a reason code (ScreeningReason.code).
MAX_CODE_LENGTH = 50


@dataclass(frozen=True)
class ScreeningSettings:
    reference: str
    mode: ScreeningMode
    reasons: tuple[tuple[str, str], ...]  # (code, label), by code


def _settings(dossier: Dossier) -> ScreeningSettings:
    # Sorted here: reasons added in this transaction sit at the end of the collection.
    reasons = tuple(sorted((reason.code, reason.label) for reason in dossier.screening_reasons))
    return ScreeningSettings(dossier.reference, dossier.screening_mode, reasons)


# ------------------------------------------------------------------ configuration


def configure_screening(
    session: Session,
    *,
    dossier_reference: str,
    mode: ScreeningMode,
    reasons: Sequence[tuple[str, str]],
    actor: Actor,
) -> ScreeningSettings:
    """Set the mode and the coded reasons of a dossier.

    ``reasons`` is the whole list when given: codes are added, relabelled, or removed
    when no vote or resolution uses them. An empty list keeps the current reasons.
    """
    require(actor, Permission.CONFIGURE_SCREENING)
    dossier = dossier_by_reference(session, dossier_reference, lock=True)
    wanted = _checked_reasons(reasons)
    before = _settings(dossier)
    if mode is ScreeningMode.SINGLE and dossier.screening_mode is ScreeningMode.DUAL:
        _refuse_pending_dual_votes(session, dossier)
    dossier.screening_mode = mode
    if wanted:
        _replace_reasons(session, dossier, wanted)
    session.flush()
    after = _settings(dossier)
    record_event(
        session,
        actor=actor,
        action="configure_screening",
        entity_type="dossier",
        entity_id=dossier.reference,
        before=_settings_values(before),
        after=_settings_values(after),
    )
    return after


def _checked_reasons(reasons: Sequence[tuple[str, str]]) -> dict[str, str]:
    wanted: dict[str, str] = {}
    for raw_code, raw_label in reasons:
        code, label = raw_code.strip(), raw_label.strip()
        if not code or not label:
            raise InvalidInput(f"a reason needs a code and a label, got {raw_code}={raw_label}")
        if len(code) > MAX_CODE_LENGTH:
            raise InvalidInput(f"reason code {code!r} is longer than {MAX_CODE_LENGTH} characters")
        if code in wanted:
            raise InvalidInput(f"reason code {code!r} is given twice")
        wanted[code] = label
    return wanted


def _refuse_pending_dual_votes(session: Session, dossier: Dossier) -> None:
    pending = session.scalar(
        sa.select(sa.func.count(sa.distinct(ScreeningVote.citation_id))).where(
            ScreeningVote.dossier_id == dossier.id, ~is_decided(dossier, ScreeningVote.citation_id)
        )
    )
    if pending:
        raise Conflict(
            f"dossier {dossier.reference} has {pending} citation(s) with dual-screening votes "
            "still undecided (awaiting a second vote or a resolution); finish them before "
            "switching to single screening"
        )


def _replace_reasons(session: Session, dossier: Dossier, wanted: dict[str, str]) -> None:
    new = dict(wanted)
    for reason in list(dossier.screening_reasons):
        if reason.code in new:
            reason.label = new.pop(reason.code)
        else:
            _refuse_if_used(session, reason)
            dossier.screening_reasons.remove(reason)
    dossier.screening_reasons.extend(
        ScreeningReason(code=code, label=label) for code, label in new.items()
    )


def _refuse_if_used(session: Session, reason: ScreeningReason) -> None:
    used = session.scalar(
        sa.select(sa.func.count())
        .select_from(ScreeningVote)
        .where(ScreeningVote.reason_id == reason.id)
    ) or session.scalar(
        sa.select(sa.func.count())
        .select_from(ScreeningResolution)
        .where(ScreeningResolution.reason_id == reason.id)
    )
    if used:
        raise Conflict(
            f"reason {reason.code!r} is used by earlier votes or resolutions and cannot be removed"
        )


def _settings_values(settings: ScreeningSettings) -> dict[str, Any]:
    return {"screening_mode": settings.mode.value, "reasons": dict(settings.reasons)}
