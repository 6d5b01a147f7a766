"""Speed and peak memory of PubMed XML parsers on a large file of real records.

Builds files of real PubMed records (taken from the bulk fixture, PMIDs rewritten
so that every record is distinct) in a temporary folder, then runs each contender
in its own subprocess and reads its CPU time and peak resident memory:

- ``bare``: lxml iterparse that only counts PubmedArticle elements (the floor);
- ``evidence``: ``evidence.pubmed.xml_parser.iter_pubmed_xml``;
- ``biopython``: ``Bio.Entrez.read`` (holds the whole answer in memory);
- ``pubmed_parser``: ``pubmed_parser.parse_medline_xml``, if installed.

Run from the repository root (takes a few minutes and, for Biopython, several GB)::

    .venv/bin/python benchmarks/bench_parse.py --records 50000 --small 10000

On a shared machine CPU time itself drifts by a third within the hour.
``--instructions`` counts instead the instructions each contender executes per
record, under valgrind's callgrind (the start-up, measured on a one-record file,
subtracted): slow (about a minute per thousand records for ours), but the same on
every run::

    .venv/bin/python benchmarks/bench_parse.py --records 2000 --small 0 --instructions
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import lzma
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BULK = REPO.parent / "shared" / "fixtures" / "pubmed-xml" / "bulk" / "pubmed21n1298.xml.xz"
CONTENDERS = ("bare", "evidence", "biopython", "pubmed_parser")
HEADER = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2019//EN"'
    b' "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_190101.dtd">\n'
    b"<PubmedArticleSet>\n"
)
FOOTER = b"</PubmedArticleSet>\n"
_PMID = re.compile(rb'<PMID Version="(\d+)">\d+</PMID>')


# ---------------------------------------------------------------- building the input


def real_records(source: Path) -> list[bytes]:
    """Every PubmedArticle of the source file, serialised on its own."""
    from lxml import etree

    records = []
    with lzma.open(source) if source.suffix == ".xz" else open(source, "rb") as stream:
        for _, element in etree.iterparse(stream, events=("end",), tag="PubmedArticle"):
            records.append(etree.tostring(element, encoding="utf-8", with_tail=False))
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
    return records


def build_files(records: list[bytes], sizes: list[int], folder: Path) -> dict[int, Path]:
    """One file per size, all starting with the same records; PMIDs 90,000,000 upwards."""
    paths = {size: folder / f"pubmed-{size}.xml" for size in sizes}
    handles = {size: paths[size].open("wb") for size in sizes}
    for handle in handles.values():
        handle.write(HEADER)
    for n in range(max(sizes)):
        record = _PMID.sub(
            rb'<PMID Version="\1">%d</PMID>' % (90_000_000 + n), records[n % len(records)], count=1
        )
        for size, handle in handles.items():
            if n < size:
                handle.write(record + b"\n")
    for handle in handles.values():
        handle.write(FOOTER)
        handle.close()
    return paths


# ---------------------------------------------------------------- contenders (child side)


def count_bare(path: str) -> int:
    from lxml import etree

    count = 0
    for _, element in etree.iterparse(path, events=("end",), tag="PubmedArticle"):
        count += 1
        element.clear()
        while element.getprevious() is not None:
            del element.getparent()[0]
    return count


def count_evidence(path: str) -> int:
    from evidence.pubmed.records import ArticleRecord
    from evidence.pubmed.xml_parser import iter_pubmed_xml

    return sum(isinstance(record, ArticleRecord) for record in iter_pubmed_xml(path))


def count_biopython(path: str) -> int:
    from Bio import Entrez
    from Bio.Entrez import Parser

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("no network in benchmarks")

    Parser.urlopen = refuse  # the DTD is shipped with Biopython; never download one
    with open(path, "rb") as handle:
        return len(Entrez.read(handle, validate=False)["PubmedArticle"])


def count_pubmed_parser(path: str) -> int:
    from types import SimpleNamespace

    from pubmed_parser import medline_parser

    # It only opens gzip files; hand it the same plain file as everyone else.
    medline_parser.gzip = SimpleNamespace(open=open)
    return sum(1 for _ in medline_parser.parse_medline_xml(path))


COUNTERS: dict[str, Callable[[str], int]] = {
    "bare": count_bare,
    "evidence": count_evidence,
    "biopython": count_biopython,
    "pubmed_parser": count_pubmed_parser,
}


def peak_resident_mb() -> float:
    """This process's peak resident memory.

    VmHWM belongs to the process image, so it starts afresh at exec; ru_maxrss would
    carry over the parent's peak (here: the parent that built the input files).
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_child(name: str, path: str) -> None:
    """Measure one contender in this (fresh) process and print one JSON line."""
    counter = COUNTERS[name]
    wall, cpu = time.perf_counter(), time.process_time()
    count = counter(path)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(json.dumps({"count": count, "wall": wall, "cpu": cpu, "peak": peak_resident_mb()}))


# ---------------------------------------------------------------- running and reporting


def available(name: str) -> bool:
    module = {"biopython": "Bio", "pubmed_parser": "pubmed_parser"}.get(name)
    return module is None or importlib.util.find_spec(module) is not None


def _child(name: str, path: Path, *, counted: bool = False) -> dict[str, float]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    command = [sys.executable, __file__, "--child", name, str(path)]
    if counted:
        command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if counted:
        result["instructions"] = float(_COLLECTED.findall(done.stderr)[-1].replace(",", ""))
    return dict(result)


_COLLECTED = re.compile(r"Collected : ([\d,]+)")


def measure(name: str, path: Path, repeat: int, one_record: Path | None = None) -> dict[str, float]:
    """The best of ``repeat`` runs (least CPU time) of one contender on one file; with
    ``one_record``, its instructions instead, less those it takes for that file."""
    if one_record is not None:
        result = _child(name, path, counted=True)
        result["instructions"] -= _child(name, one_record, counted=True)["instructions"]
        result["count"] -= 1
        return result
    return min((_child(name, path) for _ in range(repeat)), key=lambda run: run["cpu"])


def report_instructions(results: dict[str, dict[int, dict[str, float]]], size: int) -> None:
    names = [name for name in CONTENDERS if name in results]
    per_record = {name: results[name][size]["instructions"] / results[name][size]["count"]
                  for name in names}  # fmt: skip
    print(f"\n{size:,} records; instructions per record (valgrind callgrind, start-up taken off):")
    for name in names:
        versus_bare = per_record.get("bare", per_record[name]) / per_record[name]
        print(f"{name:15}{per_record[name] / 1e6:9.2f} M{versus_bare:9.2f} x bare's speed")


def report(results: dict[str, dict[int, dict[str, float]]], sizes: list[int]) -> None:
    big = max(sizes)
    names = [name for name in CONTENDERS if name in results]
    rate = {name: results[name][big]["count"] / results[name][big]["cpu"] for name in names}
    print(f"\n{big:,} records; rates from CPU time (the machine is shared), best run:")
    columns = ("records", "wall s", "cpu s", "rec/s", "peak MB", "x bare")
    print(f"{'contender':15}" + "".join(f"{column:>9}" for column in columns))
    for name in names:
        run = results[name][big]
        versus_bare = rate[name] / rate.get("bare", rate[name])
        print(
            f"{name:15}{run['count']:9,.0f}{run['wall']:9.1f}{run['cpu']:9.1f}"
            f"{rate[name]:9,.0f}{run['peak']:9,.0f}{versus_bare:9.2f}"
        )
    print("\nspeed ratio (row / column):")
    print(" " * 15 + "".join(f"{name:>15}" for name in names))
    for row in names:
        print(f"{row:15}" + "".join(f"{rate[row] / rate[col]:15.2f}" for col in names))
    print("\npeak memory (MB) by file size:")
    print(" " * 15 + "".join(f"{size:>12,} rec" for size in sizes))
    for name in names:
        print(f"{name:15}" + "".join(f"{results[name][size]['peak']:16,.0f}" for size in sizes))


def run_all(
    paths: dict[int, Path], names: list[str], repeat: int, one_record: Path | None = None
) -> Iterator[tuple[str, int, dict[str, float]]]:
    for name in names:
        for size, path in sorted(paths.items()):
            result = measure(name, path, repeat, one_record)
            cpu, peak = result["cpu"], result["peak"]
            spent = (
                f"{result['instructions'] / 1e9:7.2f} G instructions"
                if "instructions" in result
                else f"{cpu:7.1f} s CPU"
            )
            print(f"  {name:15} {size:>8,} records: {spent}, {peak:7,.0f} MB", flush=True)
            yield name, size, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000, help="size of the main file")
    parser.add_argument(
        "--small", type=int, default=10_000, help="a smaller file, to see memory vs size"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per contender; the best counts")
    parser.add_argument("--only", nargs="*", choices=CONTENDERS, default=list(CONTENDERS))
    parser.add_argument(
        "--source", type=Path, default=BULK, help="where the real records come from"
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count instructions under valgrind instead of timing (slow; small --records)",
    )
    parser.add_argument("--child", nargs=2, metavar=("NAME", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(*args.child)
        return
    if args.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind (apt-get install valgrind)")
    names = [name for name in args.only if available(name)]
    skipped = sorted(set(args.only) - set(names))
    if skipped:
        print(f"not installed, skipped: {', '.join(skipped)} (pip install pubmed-parser)")
    sizes = sorted({args.small, args.records} - {0})
    with tempfile.TemporaryDirectory(prefix="bench-parse-") as folder:
        records = real_records(args.source)
        paths = build_files(records, sizes, Path(folder))
        one_record = None
        if args.instructions:
            (Path(folder) / "one").mkdir()
            one_record = build_files(records, [1], Path(folder) / "one")[1]
        del records
        megabytes = paths[max(sizes)].stat().st_size / 2**20
        counts = " and ".join(f"{size:,}" for size in sizes)
        print(f"built files of {counts} records ({megabytes:,.0f} MB the largest)")
        results: dict[str, dict[int, dict[str, float]]] = {}
        for name, size, result in run_all(paths, names, args.repeat, one_record):
            results.setdefault(name, {})[size] = result
    if args.instructions:
        report_instructions(results, max(sizes))
    else:
        report(results, sizes)


if __name__ == "__main__":
    main()
