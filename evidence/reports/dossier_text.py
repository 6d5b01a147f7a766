"""A dossier as readable sections, in the order of the committee's evidence document."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from evidence.causality import naranjo_category, naranjo_score
from evidence.models import Appraisal, Case, Decision, Dossier, SearchStrategy, SpcStatement
from evidence.models.vocabulary import SPC_SECTION_TITLES, ScreeningOutcome
from evidence.reports.labels import labels_for


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    body: str


def _date(value: date | None, language: str) -> str:
    if value is None:
        return "-"
    return value.strftime("%d-%m-%Y") if language == "nl" else value.isoformat()


def _filters(strategy: SearchStrategy) -> str:
    parts = [*strategy.publication_types, *strategy.species, *strategy.languages]
    if strategy.text_availability:
        parts.append(strategy.text_availability.value.replace("_", " "))
    if strategy.mesh_terms_only:
        parts.append("MeSH terms")
    if strategy.date_from or strategy.date_to:
        parts.append(f"{strategy.date_from or '...'} - {strategy.date_to or '...'}")
    return ", ".join(parts)


def _search_date(dossier: Dossier) -> date | None:
    dates = [run.run_date for s in dossier.search_strategies for run in s.runs]
    return max(dates) if dates else None


def _case_line(case: Case, words: dict[str, str]) -> str:
    who = ", ".join(
        part
        for part in (
            case.sex.value if case.sex else None,
            f"{case.age_years} {words['age']}" if case.age_years is not None else None,
        )
        if part
    )
    facts = [
        case.history,
        case.dose_regimen,
        case.time_to_onset,
        case.co_medication,
        case.outcome,
        case.other_findings,
    ]
    line = f"{case.label or 'Case'} ({who})" if who else (case.label or "Case")
    line += ": " + "; ".join(fact for fact in facts if fact)
    score = naranjo_score(case.naranjo_answers)
    if score is not None:
        line += f"\n    Naranjo: {score} ({naranjo_category(score).value})"
    if case.naranjo_reported_source:
        reported = [
            str(value)
            for value in (case.naranjo_reported_score, case.naranjo_reported_category)
            if value is not None
        ]
        line += f"\n    Naranjo (reported): {' '.join([*reported, case.naranjo_reported_source])}"
    if case.who_umc_category:
        line += f"\n    WHO-UMC: {case.who_umc_category.value} ({case.who_umc_assessor})"
    return line


def _appraisal_block(number: int, appraisal: Appraisal, words: dict[str, str]) -> str:
    citation = appraisal.citation
    flags = [
        flag
        for flag, present in (
            ("RETRACTED", citation.retracted),
            ("WITHDRAWN FROM PUBMED", citation.withdrawn_at is not None),
        )
        if present
    ]
    marker = f" [{'; '.join(flags)}]" if flags else ""
    lines = [f"[{number}] {citation.short_reference()}{marker}", f"    {citation.title}"]
    ids = ", ".join(
        f"{name} {value}"
        for name, value in (("PMID", citation.pmid), ("DOI", citation.doi))
        if value
    )
    if ids:
        lines.append(f"    {ids}")
    if appraisal.evidence_score is not None:
        basis = f" - {appraisal.score_basis}" if appraisal.score_basis else ""
        lines.append(f"    {words['score']}: {appraisal.evidence_score}{basis}")
    if appraisal.exclusion_reason:
        lines.append(f"    {appraisal.exclusion_reason}")
    for count in appraisal.counts:
        label = f"{count.label}: " if count.label else ""
        lines.append(f"    {label}n = {count.n} ({count.counts})")
    for title, text in (
        (words["results"], appraisal.results),
        (words["author_remarks"], appraisal.author_remarks),
    ):
        if text:
            lines.append(f"    {title}:")
            lines.extend(f"      {line}" for line in text.splitlines())
    lines.extend(f"    {_case_line(case, words)}" for case in appraisal.cases)
    return "\n".join(lines)


def _spc_line(statement: SpcStatement, language: str) -> str:
    products = ", ".join(
        f"{link.product.name} ({_date(link.spc_date, language)})" for link in statement.products
    )
    heading = f"{statement.section.value} {SPC_SECTION_TITLES[statement.section]}"
    frequency = statement.frequency_text or (
        statement.frequency.value if statement.frequency else None
    )
    detail = f" [{frequency}]" if frequency else ""
    return f"{products} - {heading}{detail}:\n    {statement.text.replace(chr(10), ' ')}"


def _decision_line(
    decision: Decision, superseded: bool, words: dict[str, str], language: str
) -> str:
    def yes_no(value: bool) -> str:
        return words["yes"] if value else words["no"]

    state = words["superseded"] if superseded else words["in_force"]
    return (
        f"{words['contraindication']}: {yes_no(decision.contraindication)}   "
        f"{words['action']}: {yes_no(decision.action_needed)}   "
        f"{words['date']}: {_date(decision.decided_on, language)}   ({state})\n"
        f"    {words['decided_by']}: {decision.decided_by}\n"
        + _signature_line(decision, words)
        + "\n".join(f"    {line}" for line in decision.rationale.splitlines())
    )


def _signature_line(decision: Decision, words: dict[str, str]) -> str:
    """Signer, time (UTC) and meaning of the electronic signature, when there is one."""
    if decision.signed_by is None or decision.signed_at is None:
        return ""
    meaning = decision.signature_meaning.value if decision.signature_meaning else ""
    when = decision.signed_at.strftime("%Y-%m-%d %H:%M UTC")
    return f"    {words['signed']}: {decision.signed_by.display_name} ({meaning}, {when})\n"


def _pico_text(dossier: Dossier, words: dict[str, str]) -> str:
    pico = dossier.pico
    if pico is None:
        return words["not_recorded"]
    return (
        f"P(atient)     {pico.population}\nI(ntervention) {pico.intervention}\n"
        f"C(omparison)  {pico.comparison or '-'}\nO(utcome)     {pico.outcome}"
    )


def _risk_factor_text(dossier: Dossier, words: dict[str, str]) -> str:
    """One line per risk factor, then the sources they rest on, each named once."""
    sources = {c.id: c for f in dossier.risk_factors for c in f.sources}
    factors = "\n".join(f"- {f.text}" for f in dossier.risk_factors)
    if sources:
        factors += f"\n{words['sources']}: " + "; ".join(
            f"{c.short_reference()} ({c.title})" + (f", doi:{c.doi}" if c.doi else "")
            for c in sources.values()
        )
    return factors


def dossier_sections(dossier: Dossier, statements: list[SpcStatement]) -> list[Section]:
    """The dossier's parts as titled text blocks; ``statements`` are its substance's SPCs."""
    language = dossier.language
    words = labels_for(language)
    sections = [
        Section(
            "title",
            f"{dossier.title} {dossier.reference}",
            f"{words['status']}: {dossier.status.value}",
        ),
        Section(
            "abbreviations",
            words["abbreviations"],
            "; ".join(f"{a.abbreviation}: {a.meaning}" for a in dossier.abbreviations)
            or words["none"],
        ),
        Section("search_date", words["search_date"], _date(_search_date(dossier), language)),
        Section("conclusion", words["conclusion"], dossier.conclusion or words["not_recorded"]),
        Section("remarks", words["remarks"], dossier.additional_remarks or words["none"]),
    ]
    sections.append(Section("pico", words["pico"], _pico_text(dossier, words)))
    searches = [
        f"{words['terms']}: {s.terms}\n{words['filters']}: {_filters(s) or words['none']}"
        for s in dossier.search_strategies
    ]
    sections.append(Section("pubmed", words["pubmed"], "\n".join(searches) or words["none"]))
    for outcome in ScreeningOutcome:
        chosen = [a for a in dossier.appraisals if a.screening == outcome]
        if chosen or outcome != ScreeningOutcome.EXCLUDED:
            body = "\n\n".join(_appraisal_block(i, a, words) for i, a in enumerate(chosen, 1))
            sections.append(Section(outcome.value, words[outcome.value], body or words["none"]))
    spc = "\n".join(_spc_line(s, language) for s in statements)
    sections.append(Section("spc", words["spc"], spc or words["none"]))
    factors = _risk_factor_text(dossier, words)
    sections.append(Section("risk_factors", words["risk_factors"], factors or words["none"]))
    superseded = {d.supersedes_id for d in dossier.decisions}
    decisions = "\n".join(
        _decision_line(d, d.id in superseded, words, language) for d in dossier.decisions
    )
    sections.append(Section("decision", words["decision"], decisions or words["none"]))
    return sections


def render_dossier_text(dossier: Dossier, statements: list[SpcStatement]) -> str:
    sections = dossier_sections(dossier, statements)
    return "\n\n".join(f"{s.title}\n{s.body}" for s in sections) + "\n"
