"""Stored values as they go into JSON documents (dossier files, snapshots, registers)."""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

# What a case says of the patient, in the order dossier files and snapshots list it.
CASE_DESCRIPTION_FIELDS = (
    "label",
    "sex",
    "age_years",
    "history",
    "dose_regimen",
    "time_to_onset",
    "time_to_onset_hours",
    "co_medication",
    "outcome",
    "other_findings",
)


def plain_value(value: Any) -> Any:
    """Enumerations as their value, dates and times as ISO 8601; the rest as it is."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    return value
