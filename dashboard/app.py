"""Dashboard entry point: declares the pages and runs the selected one."""

import streamlit as st
from registry import PAGES

st.set_page_config(page_title="Evidence review", layout="wide")
pages = [
    st.Page(path, title=title, default=index == 0) for index, (path, title) in enumerate(PAGES)
]
st.navigation(pages).run()
