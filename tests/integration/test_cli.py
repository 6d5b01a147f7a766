"""The command line on real databases: demo, list, show, export, audit, help."""

from __future__ import annotations

import click
import pytest
import yaml
from click.testing import CliRunner

from evidence.cli import cli
from tests.integration.cli_runs import row_counts, run


def test_demo_twice_changes_nothing(database_url: str) -> None:
    first = run(database_url, "demo")
    assert first.exit_code == 0, first.output
    assert "7097: Veneuze trombo-embolie: immunoglobuline, normaal (loaded)" in first.output
    once = row_counts(database_url)

    second = run(database_url, "demo")
    assert second.exit_code == 0, second.output
    assert "7097: Veneuze trombo-embolie: immunoglobuline, normaal (already present)" in (
        second.output
    )
    assert row_counts(database_url) == once
    assert once["dossier"] == 2
    assert once["appraisal"] == 8
    assert once["decision"] == 1


def test_dossier_list(database_url: str) -> None:
    run(database_url, "demo")
    result = run(database_url, "dossier", "list")
    assert result.output.splitlines() == [
        "7097\tdecided\tVeneuze trombo-embolie: immunoglobuline, normaal\t"
        "contra-indication yes, action yes (2019-11-14)",
        "iloprost-hartfalen\tdraft\tHartfalen: iloprost\tno decision",
    ]


SEED_SECTIONS = [
    "Veneuze trombo-embolie: immunoglobuline, normaal 7097",
    "Afkortingen\nVTE: veneuze trombo-embolie; IVIg: intraveneuze immunoglobuline; "
    "DVT: diep veneuze trombose; cp: centipoise (eenheid voor viscositeit); "
    "SEH: spoedeisende hulp; ALS: amyotrophic lateral sclerosis",
    "Datum literatuursearch\n23-01-2019",
    "CONCLUSIE\n",
    "AANVULLENDE OPMERKINGEN\n",
    "PICO\nP(atient)     Patiënten die eerder een veneuze trombo-embolie gehad hebben",
    "C(omparison)  placebo",
    "PUBMED\nZoektermen: immunoglobulins AND venous thromboembolism\n"
    "filters: Clinical Trial, Review, Meta-Analysis, Humans, English, full text, MeSH terms",
    "BRONNEN DIE VOLDOEN AAN DE PICO\n[1] Paran D et al. Blood Coagul Fibrinolysis 2005;16:313-8",
    "Casus: n = 2 (aantal patiënten met veneuze trombose in voorgeschiedenis en IVIg)",
    "Review: n = 12 (aantal patiënten met veneuze trombose na IVIg)",
    "[2] Vucic S et al. Eur Neurol 2004;52(3):141-4",
    "[3] Butler KS et al. Ann Pharmacother 2003;37:1530",
    "OVERIG - VOLDOET NIET AAN PICO\n[1] Emerson GG et al. Pharmacotherapy 2002;22(17):1638-41",
    "[2] Katz KA et al. Arch Dermatol 2003;139(8):991-3",
    "[3] Dalakas MC. Neurology 1994;44:223-6",
    "[4] Wolberg AS et al. Am J Hematol 2000;65(1):30-4",
    "[5] Bilal J et al. Am J Ther 2016;23:e1074-7",
    "SPC\nGammaQuin (30-08-2016), Hizentra (30-04-2018) - 4.4",
    "Flebogamma DIF (23-01-2019) - 4.8 Undesirable effects [Zeer zelden]",
    "RISICOFACTOREN\n- trombose in de familieanamnese",
    "doi:10.1007/s40264-018-0651-5",
    "BESLISSING\nContra-indicatie: ja   Actie: ja   Datum: 14-11-2019   (geldend)",
]


def test_show_7097_has_every_section_of_the_seed_in_order(database_url: str) -> None:
    run(database_url, "demo")
    result = run(database_url, "dossier", "show", "7097")
    assert result.exit_code == 0, result.output
    positions = [result.output.find(section) for section in SEED_SECTIONS]
    missing = [s for s, p in zip(SEED_SECTIONS, positions, strict=True) if p < 0]
    assert missing == []
    assert positions == sorted(positions)
    for score in ("Score: 2 - ", "Score: 1 - "):
        assert score in result.output


def test_export_holds_every_fact_of_the_seed(database_url: str) -> None:
    run(database_url, "demo")
    document = yaml.safe_load(run(database_url, "dossier", "export", "7097").output)
    assert document["substance"]["name"] == "immunoglobuline, normaal"
    assert [a["abbreviation"] for a in document["abbreviations"]] == [
        "VTE",
        "IVIg",
        "DVT",
        "cp",
        "SEH",
        "ALS",
    ]
    strategy = document["search_strategies"][0]
    assert strategy["runs"][0]["run_date"] == "2019-01-23"
    filters = [*strategy["publication_types"], *strategy["species"], *strategy["languages"]]
    assert (
        len(filters) + strategy["mesh_terms_only"] + (strategy["text_availability"] == "full_text")
        == 7
    )
    assert document["pico"]["comparison"] == "placebo"
    included = [a for a in document["appraisals"] if a["screening"] == "included"]
    assert [(a["citation"], a["evidence_score"]) for a in included] == [
        ("paran-2005", 2),
        ("vucic-2004", 2),
        ("butler-2003", 1),
    ]
    assert [(c.get("label"), c["n"]) for c in included[0]["counts"]] == [
        ("Casus", 2),
        ("Review", 12),
    ]
    assert [len(a.get("cases", [])) for a in included] == [2, 1, 1]
    assert len([a for a in document["appraisals"] if a["screening"] == "other"]) == 5
    spc = {
        (link["product"], link["spc_date"], s["section"], s.get("frequency"))
        for s in document["spc_statements"]
        for link in s["products"]
    }
    assert spc == {
        ("GammaQuin", "2016-08-30", "4.4", None),
        ("Hizentra", "2018-04-30", "4.4", None),
        ("Flebogamma DIF", "2019-01-23", "4.4", None),
        ("Flebogamma DIF", "2019-01-23", "4.8", "very_rare"),
    }
    assert len(document["risk_factors"]) == 13
    assert {tuple(f["sources"]) for f in document["risk_factors"]} == {("nhg-2017", "scott-2018")}
    [decision] = document["decisions"]
    assert (decision["contraindication"], decision["action_needed"], decision["decided_on"]) == (
        True,
        True,
        "2019-11-14",
    )
    cited = {c["key"]: c for c in document["citations"]}
    assert cited["vucic-2004"]["pmid"] == "15479982"
    assert cited["scott-2018"]["doi"] == "10.1007/s40264-018-0651-5"


def test_unknown_dossier_is_one_line(database_url: str) -> None:
    result = run(database_url, "dossier", "show", "9999")
    assert result.exit_code == 1
    assert result.output == "Error: no dossier with reference '9999'\n"


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found.extend(_all_commands(command, (*prefix, name)))
    return found


@pytest.mark.parametrize("command", _all_commands(cli), ids=" ".join)
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage: " in result.output
    summary = result.output.split("\n\n")[1].strip()
    assert len(summary) > 10
