"""Pipeline Trace: the router. The lesson picker lives in the sidebar; each page is a file in pages/."""

import streamlit as st
import torch

import ui
from pipeline.lessons import LESSONS

if torch.get_num_threads() != 1:
    torch.set_num_threads(1)  # every session trains in its own thread: keep PyTorch's pools from multiplying

st.set_page_config(page_title="Pipeline Trace", page_icon=":material/conversion_path:", layout="wide")

pages = [
    st.Page("pages/overview.py", title="Overview", icon=":material/school:", default=True),
    st.Page("pages/data_flow.py", title="Data flow", icon=":material/animation:"),
    st.Page("pages/training.py", title="Training", icon=":material/model_training:"),
    st.Page("pages/prediction.py", title="Prediction", icon=":material/footprint:"),
    st.Page("pages/quiz.py", title="Quiz", icon=":material/quiz:"),
    st.Page("pages/open_trace.py", title="Open a trace", icon=":material/upload_file:"),
]
page = st.navigation(pages)
with st.sidebar:
    slug = st.selectbox("Lesson", list(LESSONS), key=ui.LESSON_KEY, format_func=lambda s: LESSONS[s].content.title)
    st.caption(LESSONS[slug].content.summary)
page.run()
