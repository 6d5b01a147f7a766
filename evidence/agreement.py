"""Agreement between two screening reviewers: Cohen's kappa. Pure functions, no database."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence


def observed_agreement(pairs: Sequence[tuple[str, str]]) -> float | None:
    """The share of pairs where both reviewers chose the same outcome; None without pairs."""
    if not pairs:
        return None
    return sum(first == second for first, second in pairs) / len(pairs)


def cohens_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two raters, one ``(first, second)`` pair per rated item.

    With ``n`` pairs laid out as a table (rows: the first rater's outcome, columns:
    the second's), ``n_kk`` the diagonal cell and ``n_k.`` / ``n_.k`` the row and
    column totals of outcome ``k`` (screening uses included / other / excluded)::

        p_o   = sum_k n_kk / n                      observed agreement
        p_e   = sum_k (n_k. / n) * (n_.k / n)       agreement expected by chance
        kappa = (p_o - p_e) / (1 - p_e)

    An outcome neither rater used adds nothing to either sum, so only the outcomes
    seen matter. Kappa is 1 for perfect agreement, 0 at chance level and negative
    below it. It is undefined (None) without pairs, or when ``p_e`` is 1: both
    raters put every item in one and the same outcome, and there is nothing to
    tell apart from chance.
    """
    n = len(pairs)
    if n == 0:
        return None
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    agreed = sum(a == b for a, b in pairs)
    # Multiplied through by n**2, the sums stay integers, so "p_e is 1" is an exact test.
    chance = sum(count * second[outcome] for outcome, count in first.items())
    if chance == n * n:
        return None
    return (n * agreed - chance) / (n * n - chance)
