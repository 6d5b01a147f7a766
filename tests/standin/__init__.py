"""Stand-ins for the network services the application talks to, for tests."""

from .eutils import EutilsStandIn, Fault, PubMed, RecordedRequest, Violation

__all__ = ["EutilsStandIn", "Fault", "PubMed", "RecordedRequest", "Violation"]
