"""Harvest end to end against the E-utilities stand-in at 10 requests/s (an API key).

Prints records/s and its share of what the rate limit allows with the batch size
used (10 requests/s x batch size records per request). Target: at least 90 %.

    .venv/bin/python benchmarks/bench_harvest.py [--records 10000] [--batch-size 200]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from evidence.config import load_settings  # noqa: E402
from evidence.harvester import IN_FLIGHT, Harvester  # noqa: E402
from evidence.pubmed.entrez import EntrezClient  # noqa: E402
from evidence.pubmed.rate_limit import ANSWERED_MARGIN, RATE_WITH_KEY  # noqa: E402
from evidence.runtime import Runtime  # noqa: E402
from evidence.schema_migrations import upgrade  # noqa: E402
from evidence.services.audit import Actor  # noqa: E402
from evidence.services.search_strategies import (  # noqa: E402
    StrategyDraft,
    create_search_strategy,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument(
        "--models",
        choices=["bulk", "fixtures"],
        default="bulk",
        help="copy the records of the 2021 update file (real sizes: 11 kB on average) "
        "or the hand-picked fixture records (25 kB on average)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds the stand-in waits before each efetch answer (NCBI takes ~1 s)",
    )
    parser.add_argument("--in-flight", type=int, default=IN_FLIGHT, help="efetch requests at once")
    args = parser.parse_args()

    # The stand-in runs in its own process, as NCBI would: it must not share the GIL.
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.standin.serve",
            "--synthetic",
            str(args.records),
            "--models",
            args.models,
            "--latency",
            str(args.latency),
        ],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdin is not None
    eutils_url = server.stdout.readline().strip()
    with tempfile.TemporaryDirectory() as folder:
        os.environ.update(
            EVIDENCE_EUTILS_URL=eutils_url, NCBI_API_KEY="bench", NCBI_EMAIL="bench@example.org"
        )
        url = f"sqlite:///{folder}/bench.db"
        upgrade(url)
        runtime = Runtime(load_settings(url))
        with runtime.transaction() as session:
            strategy = create_search_strategy(
                session, draft=StrategyDraft(name="bench", terms="all[sb]"), actor=Actor("bench")
            )
            strategy_id = strategy.id
        standin_cpu = _cpu_seconds(server.pid)
        own_cpu, parser_cpu = time.process_time(), _children_cpu()
        started, began = time.perf_counter(), time.monotonic()
        summary = Harvester(
            runtime,
            EntrezClient(runtime.settings),
            batch_size=args.batch_size,
            in_flight=args.in_flight,
        ).run(strategy_id)
        elapsed = time.perf_counter() - started
        ended = time.monotonic()
        own_cpu = time.process_time() - own_cpu
        parser_cpu = _children_cpu() - parser_cpu  # the parser process, reaped by now
        standin_cpu = _cpu_seconds(server.pid) - standin_cpu
        runtime.close()
    server.stdin.close()
    counts = json.loads(server.stdout.readline())
    server.wait()
    requests, violations = counts["requests"], counts["violations"]

    stored = summary.retrieved or 0
    rate = stored / elapsed
    allowed = RATE_WITH_KEY * args.batch_size
    print(
        f"harvest: {stored} records in {elapsed:.1f} s over {requests} requests "
        f"(batch {args.batch_size}, {args.in_flight} in flight, efetch latency {args.latency} s)"
    )
    print(
        f"  {rate:,.0f} records/s; the limit allows {allowed:,.0f} records/s "
        f"({RATE_WITH_KEY:.0f} requests/s x {args.batch_size})"
    )
    print(f"  share of the limit: {rate / allowed:.1%} (target >= 90%)")
    # What a harvest bound by the limiter alone would reach with these requests: the
    # esearch requests fetch no records, and starts are a little over 1/rate apart
    # (answers that begin at once: a window counts from them).
    last_start = (requests - 1) * (1 + ANSWERED_MARGIN) / RATE_WITH_KEY
    ceiling = stored / last_start / allowed
    print(
        f"  rate-bound ceiling for this mix ({counts['efetch']} efetch of {requests} "
        f"requests; the last starts {last_start:.2f} s after the first at the earliest): "
        f"{ceiling:.1%}"
    )
    arrivals = counts["arrivals"]
    if arrivals:
        # Where the time went: before the first request, between the first and the
        # last (the limiter's share), and after the last (its parse and the stores).
        before = arrivals[0] - began
        during = arrivals[-1] - arrivals[0]
        after = ended - arrivals[-1]
        print(
            f"  timeline: first request {before:.2f} s after the start; the last "
            f"{during:.2f} s after the first (the limiter's least: {last_start:.2f} s); "
            f"the end {after:.2f} s after the last"
        )
        # Where a stretch between two requests was longer than the limiter's spacing.
        gaps = sorted(
            ((later - earlier, earlier - began) for earlier, later in pairwise(arrivals)),
            reverse=True,
        )
        widest = ", ".join(f"{gap * 1e3:.0f} ms at {at:.1f} s" for gap, at in gaps[:3])
        print(f"  widest gaps between requests: {widest}")
    print(f"  rate-limit violations seen by the stand-in: {violations}")
    # On a machine with few cores the harvest may be bound by CPU, not by the limit:
    # what each process spent, per record, against the cores' time during the run.
    cores = os.cpu_count() or 1
    spent = {"harvesting process": own_cpu, "parser process": parser_cpu}
    spent["stand-in"] = standin_cpu
    used = sum(spent.values())
    parts = ", ".join(f"{name} {cpu:.1f} s ({cpu / stored * 1e3:.2f} ms/record)"
                      for name, cpu in spent.items())  # fmt: skip
    print(f"  CPU: {parts}; {used / (cores * elapsed):.0%} of {cores} cores")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
