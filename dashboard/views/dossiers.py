"""Dossiers: the list, and one dossier in the order of the evidence document."""

import pandas as pd
import streamlit as st
from connection import reported_errors, runtime

from evidence.queries import list_dossiers, spc_statements_of
from evidence.reports.dossier_text import dossier_sections
from evidence.services.dossier_export import get_dossier


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


st.title("Dossiers")
with reported_errors(), runtime().transaction() as session:
    summaries = list_dossiers(session)

if not summaries:
    st.info("No dossiers yet. Load the reference dossiers with `evidence demo`.")
    st.stop()

table = pd.DataFrame(
    [
        {
            "Reference": s.reference,
            "Title": s.title,
            "Status": s.status,
            "Included sources": s.included_sources,
            "Retracted/withdrawn": s.flagged_sources,
            "Contra-indication": _yes_no(s.contraindication),
            "Action": _yes_no(s.action_needed),
            "Decided on": s.decided_on,
        }
        for s in summaries
    ]
)
st.dataframe(table, hide_index=True, use_container_width=True)

references = [s.reference for s in summaries]
wanted = st.query_params.get("dossier", references[0])
chosen = st.selectbox(
    "Dossier",
    references,
    index=references.index(wanted) if wanted in references else 0,
    format_func=lambda ref: next(
        f"{s.reference} - {s.title}" for s in summaries if s.reference == ref
    ),
    key="dossier",
)
st.query_params["dossier"] = chosen

with reported_errors(), runtime().transaction() as session:
    dossier = get_dossier(session, reference=chosen)
    sections = dossier_sections(dossier, spc_statements_of(session, dossier.substance))

title, *parts = sections
st.header(title.title)
st.caption(title.body)
for section in parts:
    st.subheader(section.title)
    st.text(section.body)
