"""Cohen's kappa against values worked out by hand."""

from __future__ import annotations

import pytest

from evidence.agreement import cohens_kappa, observed_agreement

INC, OTH, EXC = "included", "other", "excluded"


def _pairs(table: dict[tuple[str, str], int]) -> list[tuple[str, str]]:
    return [pair for pair, count in table.items() for _ in range(count)]


# 50 citations, two reviewers (rows: the first reviewer, columns: the second):
#
#                 included  other  excluded | total
#     included         10      2         3  |   15
#     other             1     12         2  |   15
#     excluded          2      1        17  |   20
#     ---------------------------------------+------
#     total            13     15        22  |   50
#
# p_o   = (10 + 12 + 17) / 50                        = 39/50    = 0.78
# p_e   = (15*13 + 15*15 + 20*22) / 50**2
#       = (195 + 225 + 440) / 2500                   = 860/2500 = 0.344
# kappa = (0.78 - 0.344) / (1 - 0.344) = 0.436 / 0.656 = 109/164 = 0.66463...
HAND_TABLE = {
    (INC, INC): 10,
    (INC, OTH): 2,
    (INC, EXC): 3,
    (OTH, INC): 1,
    (OTH, OTH): 12,
    (OTH, EXC): 2,
    (EXC, INC): 2,
    (EXC, OTH): 1,
    (EXC, EXC): 17,
}


def test_hand_computed_example() -> None:
    pairs = _pairs(HAND_TABLE)
    assert len(pairs) == 50
    assert observed_agreement(pairs) == pytest.approx(0.78)
    assert cohens_kappa(pairs) == pytest.approx(109 / 164)
    assert cohens_kappa(pairs) == pytest.approx(0.664634, abs=1e-6)


def test_swapping_the_reviewers_keeps_kappa() -> None:
    swapped = [(second, first) for first, second in _pairs(HAND_TABLE)]
    assert cohens_kappa(swapped) == pytest.approx(109 / 164)


def test_perfect_agreement_is_one() -> None:
    pairs = [(INC, INC), (OTH, OTH), (EXC, EXC), (EXC, EXC)]
    assert cohens_kappa(pairs) == 1.0
    assert observed_agreement(pairs) == 1.0


def test_chance_level_agreement_is_zero() -> None:
    # Each reviewer says included half the time, independently: p_o = p_e = 0.5.
    pairs = [(INC, INC), (INC, EXC), (EXC, INC), (EXC, EXC)]
    assert observed_agreement(pairs) == 0.5
    assert cohens_kappa(pairs) == 0.0


def test_systematic_disagreement_is_negative() -> None:
    # p_o = 0, p_e = 0.5*0.5 + 0.5*0.5 = 0.5, kappa = (0 - 0.5) / (1 - 0.5) = -1.
    assert cohens_kappa([(INC, EXC), (EXC, INC)]) == -1.0


@pytest.mark.parametrize(
    "pairs",
    [[], [(INC, INC)], [(EXC, EXC)] * 7],
    ids=["no pairs", "one pair", "everything in one outcome"],
)
def test_undefined_when_expected_agreement_is_one_or_no_pairs(
    pairs: list[tuple[str, str]],
) -> None:
    assert cohens_kappa(pairs) is None


def test_observed_agreement_without_pairs_is_undefined() -> None:
    assert observed_agreement([]) is None
