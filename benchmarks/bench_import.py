"""The whole ``evidence import pubmed-xml`` (parse and store in SQLite) against
``pubmed_parser`` only parsing the same file. Wall-clock seconds, both in fresh
processes on the same plain XML file of real records (PMIDs rewritten).

Target: the import faster than pubmed_parser's parse alone.

    .venv/bin/python benchmarks/bench_import.py [--records 30000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_parse import BULK, available, build_files, real_records  # noqa: E402


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=30_000)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    evidence = [sys.executable, "-m", "evidence"]
    with tempfile.TemporaryDirectory() as folder:
        path = build_files(real_records(BULK), [args.records], Path(folder))[args.records]
        size = path.stat().st_size / 1e6
        database = f"sqlite:///{folder}/import.db"
        subprocess.run(
            [*evidence, "--db", database, "db", "upgrade"], env=env, check=True, capture_output=True
        )
        ours, output = timed([*evidence, "--db", database, "import", "pubmed-xml", str(path)], env)
        print(f"{args.records} records, {size:.0f} MB: {output.strip()}")
        print(
            f"evidence import pubmed-xml (parse + store in SQLite): {ours:.1f} s, "
            f"{args.records / ours:,.0f} records/s"
        )
        if not available("pubmed_parser"):
            print("pubmed_parser is not installed (pip install pubmed-parser): no comparison")
            return
        theirs, _ = timed(
            [
                sys.executable,
                str(REPO / "benchmarks" / "bench_parse.py"),
                "--child",
                "pubmed_parser",
                str(path),
            ],
            env,
        )
        print(
            f"pubmed_parser.parse_medline_xml (parse only): {theirs:.1f} s, "
            f"{args.records / theirs:,.0f} records/s"
        )
        print(f"ratio: import takes {ours / theirs:.2f}x pubmed_parser's parse (target < 1)")
        print(json.dumps({"import_s": round(ours, 2), "pubmed_parser_s": round(theirs, 2)}))


if __name__ == "__main__":
    main()
