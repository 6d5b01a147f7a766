"""Serve the stand-in from its own process (for benchmarks: no shared GIL with the client).

    python -m tests.standin.serve [--synthetic N] [--models fixtures|bulk] [--latency S]

Prints the base URL on the first line, serves until standard input closes, then
prints one JSON line with the request and rate-limit-violation counts.
"""

from __future__ import annotations

import argparse
import json
import sys

from tests.standin.eutils import (
    EutilsStandIn,
    Fault,
    PubMed,
    load_bulk_templates,
    load_templates,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=0, help="copies with new PMIDs")
    parser.add_argument(
        "--models",
        choices=["fixtures", "bulk"],
        default="fixtures",
        help="copy the fixture records, or the records of the bulk update file",
    )
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds before each efetch answer"
    )
    args = parser.parse_args()
    models = load_bulk_templates() if args.models == "bulk" else None
    pubmed = PubMed(load_templates(), synthetic=args.synthetic, models=models)
    with EutilsStandIn(pubmed) as standin:
        if args.latency:
            standin.inject(Fault.slow(args.latency), times=10**9, utility="efetch")
        print(standin.url, flush=True)
        sys.stdin.read()
        summary = {
            "requests": len(standin.requests),
            "efetch": len(standin.requests_to("efetch")),
            "violations": len(standin.violations),
            # time.monotonic() is one clock for all processes of the machine (Linux)
            "arrivals": sorted(request.at for request in standin.requests),
        }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
