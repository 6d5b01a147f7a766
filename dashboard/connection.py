"""The dashboard's link to the services: one runtime per database URL, errors shown once."""

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from evidence.config import load_settings
from evidence.errors import EvidenceError
from evidence.runtime import Runtime


@st.cache_resource
def _runtime_for(database_url: str) -> Runtime:
    return Runtime(load_settings(database_url), client="dashboard")


def runtime() -> Runtime:
    """The runtime of the configured database (EVIDENCE_DATABASE_URL)."""
    return _runtime_for(load_settings().database_url)


@contextmanager
def reported_errors() -> Iterator[None]:
    """Show the package's errors as one message instead of a traceback."""
    try:
        yield
    except EvidenceError as error:
        st.error(str(error))
        st.stop()
