"""Causality of a case: the Naranjo score is computed from the answers, never typed in.

Points per question (Naranjo et al., Clin Pharmacol Ther 1981;30:239-45): yes, no;
"don't know" always scores 0. Range -4 ... +13.
"""

from __future__ import annotations

from collections.abc import Sequence

from evidence.errors import InvalidInput
from evidence.models.vocabulary import NaranjoAnswer, NaranjoCategory

NARANJO_POINTS: tuple[tuple[int, int], ...] = (
    (1, 0),  # 1 previous conclusive reports on this reaction
    (2, -1),  # 2 event appeared after the suspected drug was given
    (1, 0),  # 3 improved when the drug was stopped or an antagonist given
    (2, -1),  # 4 reappeared when the drug was given again
    (-1, 2),  # 5 alternative causes that could on their own have caused it
    (-1, 1),  # 6 reappeared when a placebo was given
    (1, 0),  # 7 drug detected in blood or fluids in toxic concentrations
    (1, 0),  # 8 more severe with a higher dose, less severe with a lower one
    (1, 0),  # 9 similar reaction to the same or similar drugs before
    (1, 0),  # 10 confirmed by objective evidence
)


def naranjo_score(answers: Sequence[NaranjoAnswer | None]) -> int | None:
    """The total, or None when no question was assessed; unanswered count as "don't know"."""
    if len(answers) != len(NARANJO_POINTS):
        raise InvalidInput(f"Naranjo needs {len(NARANJO_POINTS)} answers, got {len(answers)}")
    if all(answer is None for answer in answers):
        return None
    total = 0
    for answer, (if_yes, if_no) in zip(answers, NARANJO_POINTS, strict=True):
        if answer == NaranjoAnswer.YES:
            total += if_yes
        elif answer == NaranjoAnswer.NO:
            total += if_no
    return total


def naranjo_category(score: int) -> NaranjoCategory:
    """>= 9 definite, 5-8 probable, 1-4 possible, <= 0 doubtful."""
    if score >= 9:
        return NaranjoCategory.DEFINITE
    if score >= 5:
        return NaranjoCategory.PROBABLE
    if score >= 1:
        return NaranjoCategory.POSSIBLE
    return NaranjoCategory.DOUBTFUL
