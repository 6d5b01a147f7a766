"""Re-run every due search (since its last run) and report what came in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from evidence.errors import HarvestError
from evidence.harvester import Harvester, HarvestSummary
from evidence.pubmed.entrez import EntrezClient
from evidence.runtime import Runtime
from evidence.services.surveillance import DueSearch, due_searches


@dataclass(frozen=True)
class SurveillanceResult:
    search: DueSearch
    summary: HarvestSummary | None
    error: str | None


def run_surveillance(
    runtime: Runtime,
    client: EntrezClient | None = None,
    *,
    today: Callable[[], date] = date.today,
    on_search: Callable[[DueSearch], None] | None = None,
) -> list[SurveillanceResult]:
    """One search failing (NCBI down, say) does not stop the others; it is reported."""
    with runtime.transaction() as session:
        due = due_searches(session, today=today(), actor=runtime.actor)
    harvester = Harvester(runtime, client, today=today)
    results = []
    for search in due:
        if on_search is not None:
            on_search(search)
        try:
            summary = harvester.run(search.strategy_id, since_last=search.has_previous_run)
        except HarvestError as error:
            results.append(SurveillanceResult(search, None, str(error)))
            continue
        results.append(SurveillanceResult(search, summary, None))
    return results
