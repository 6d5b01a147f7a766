"""Naranjo: the published points table, its range, its categories, a worked example."""

from __future__ import annotations

import itertools

import pytest

from evidence.causality import naranjo_category, naranjo_score
from evidence.errors import InvalidInput
from evidence.models.vocabulary import NaranjoAnswer, NaranjoCategory

YES, NO, UNKNOWN = NaranjoAnswer.YES, NaranjoAnswer.NO, NaranjoAnswer.UNKNOWN

# Naranjo et al., Clin Pharmacol Ther 1981;30:239-45: points for yes / no / don't know.
PUBLISHED = {
    1: (+1, 0, 0),
    2: (+2, -1, 0),
    3: (+1, 0, 0),
    4: (+2, -1, 0),
    5: (-1, +2, 0),
    6: (-1, +1, 0),
    7: (+1, 0, 0),
    8: (+1, 0, 0),
    9: (+1, 0, 0),
    10: (+1, 0, 0),
}


def _only(question: int, answer: NaranjoAnswer) -> list[NaranjoAnswer | None]:
    answers: list[NaranjoAnswer | None] = [UNKNOWN] * 10
    answers[question - 1] = answer
    return answers


@pytest.mark.parametrize(
    ("question", "answer", "points"),
    [
        (question, answer, PUBLISHED[question][index])
        for question in PUBLISHED
        for index, answer in enumerate((YES, NO, UNKNOWN))
    ],
)
def test_every_question_and_answer_scores_as_published(
    question: int, answer: NaranjoAnswer, points: int
) -> None:
    assert naranjo_score(_only(question, answer)) == points


def test_range_is_minus_four_to_thirteen() -> None:
    scores = {
        naranjo_score(list(answers)) for answers in itertools.product((YES, NO, UNKNOWN), repeat=10)
    }
    assert min(scores) == -4  # type: ignore[type-var]
    assert max(scores) == 13  # type: ignore[type-var]


@pytest.mark.parametrize(
    ("score", "category"),
    [
        (13, NaranjoCategory.DEFINITE),
        (9, NaranjoCategory.DEFINITE),
        (8, NaranjoCategory.PROBABLE),
        (5, NaranjoCategory.PROBABLE),
        (4, NaranjoCategory.POSSIBLE),
        (1, NaranjoCategory.POSSIBLE),
        (0, NaranjoCategory.DOUBTFUL),
        (-4, NaranjoCategory.DOUBTFUL),
    ],
)
def test_category_cut_offs(score: int, category: NaranjoCategory) -> None:
    assert naranjo_category(score) == category


def test_worked_example_from_the_literature() -> None:
    """PMC6136411: yes on 2, 3 and 10, no on 5, the rest not known: 2+1+2+1 = 6, probable."""
    answers: list[NaranjoAnswer | None] = [UNKNOWN] * 10
    for question in (2, 3, 10):
        answers[question - 1] = YES
    answers[5 - 1] = NO
    assert naranjo_score(answers) == 6
    assert naranjo_category(6) == NaranjoCategory.PROBABLE


def test_not_assessed_gives_no_score() -> None:
    assert naranjo_score([None] * 10) is None


def test_ten_answers_are_needed() -> None:
    with pytest.raises(InvalidInput, match="Naranjo needs 10 answers, got 9"):
        naranjo_score([YES] * 9)
