"""Pipeline Trace: the router. The sidebar holds the lesson picker, presenter mode and the link to this view;
each page is a file in pages/. Nothing here imports torch: the first lines of a page paint before it loads."""

import streamlit as st

import ui
from pipeline.cli import serve

serve.wait_preloaded()  # under `pipeline-trace serve`: what pages import from many threads at once is in
ui.refuse_public_address()
ui.start_session()  # the link a learner opened: lesson, input, step, settings, presenter mode (once per session)
st.set_page_config(page_title="Pipeline Trace", page_icon=":material/conversion_path:", layout="wide",
                   initial_sidebar_state="collapsed" if ui.presenting() else "auto")

pages = [
    st.Page("pages/overview.py", title="Overview", icon=":material/school:", default=True),
    st.Page("pages/data_flow.py", title="Data flow", icon=":material/animation:"),
    st.Page("pages/training.py", title="Training", icon=":material/model_training:"),
    st.Page("pages/prediction.py", title="Prediction", icon=":material/footprint:"),
    st.Page("pages/quiz.py", title="Quiz", icon=":material/quiz:"),
    st.Page("pages/compare.py", title="Compare lessons", icon=":material/compare_arrows:"),
    st.Page("pages/open_trace.py", title="Open a trace", icon=":material/upload_file:"),
    st.Page("pages/class_session.py", title="Class", icon=":material/groups:"),
]
page = st.navigation(pages)
ui.classroom.follow(page.url_path)  # a class: the teacher's view goes out, a learner's follows it (before the sidebar)
ui.sidebar()  # before the page: while a page waits (a model loading), the lesson picker must be there
ui.sync_link(page.url_path)
try:
    page.run()
finally:
    serve.page_sent()  # under `pipeline-trace serve`: the first page is out, now torch and the models load
