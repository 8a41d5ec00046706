"""Open a trace: upload a trace file (from `pipeline-trace run --save/--json` or `pipeline-trace trace`) and see
its data flow, every call and its samples -- for any model, no code run on the server.

Everything a file says and the file's own name is shown literally: the model's name, the file's name and
the command that made it in code spans, the stages and calls in tables whose every cell is escaped
(``ui.table``) or plain (``st.dataframe``). Anything that goes wrong while a file is opened or drawn is one
line saying so, never a traceback.
"""

import hashlib

import streamlit as st

import ui
from pipeline.document import fileformat
from pipeline.examples import example_files
from pipeline.render import animation, tables, walkthrough
from ui import explore


def literal(text: object) -> str:
    """``text`` as a Markdown code span, on one line: shown exactly as written (no emphasis, links, math or icons)."""
    line = " ".join(str(text).split())[:1_000]
    ticks = "`" * (_longest_backticks(line) + 1)  # a run of backticks inside cannot close the span
    return f"{ticks} {line} {ticks}"


def _longest_backticks(text: str) -> int:
    longest = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    return longest


def refuse(message: str) -> None:
    """The one line that says why a file cannot be opened or drawn; the page stops there."""
    st.error(literal(message), icon=":material/error:")
    st.stop()


def draw(doc, source: str, file: str) -> None:
    """The file's model, walked through: breadcrumbs, the opened module's parts as the data flow and as stages one
    at a time with their pictures, the model tree, every call, and a lesson's prediction."""
    st.header(literal(doc.title), anchor=False)
    made = doc.source.get("made_by", "")
    # st.markdown, not st.caption: a code span in a caption is too faint to read (axe: contrast 3:1)
    st.markdown(f"From {literal(source)} · {len(doc.trace):,} calls recorded · "
                f"{doc.trace.root.num_params if '' in doc.trace else 0:,} parameters" +
                (f" · made by {literal(made)}" if made else ""))
    where = explore.place(file)
    module = explore.opened(doc, where)
    explore.breadcrumbs(doc, where, module)
    stages = walkthrough.stages_at(doc, module)
    # a chart of its own per module: a frame the last one was left at (played, or dragged) is not carried over
    ui.chart(animation.dataflow_animation(stages), key=f"open-trace-flow-{where.module}")
    explore.stepper(doc, where, stages)
    st.subheader("Stages", anchor=False)
    ui.table(tables.stage_rows(stages))
    with st.expander(f"The model as a tree ({len(doc.trace.modules()):,} module calls)", expanded=True):
        explore.tree(doc, where, module)
    with st.expander(f"Every call ({len(doc.trace):,})"):
        explore.calls(doc)
    if doc.prediction is not None:
        st.subheader("Prediction", anchor=False)
        for number, layer in enumerate(doc.prediction.layers, start=1):
            ui.show_layer(layer, key=f"open-layer-{number}", number=number)


st.title("Open a trace")
st.markdown("A trace file holds what flowed through a model: every call's shapes, statistics and a sample of its "
            "values. Make one from your own model with `pipeline-trace trace model.py:make --input-shape 2,16 "
            "--save my.trace.zip`, or from a lesson with `pipeline-trace run LESSON --save FILE`, then open it here. "
            "Opening a file runs no code: it is read as data only.")

examples = example_files()
left, right = st.columns([3, 2])
limit_mb = min(fileformat.MAX_FILE_BYTES // 1_000_000, st.get_option("server.maxUploadSize"))
with left:
    upload = st.file_uploader(f"Trace file (.zip or .json, at most {limit_mb} MB)",
                              type=["zip", "json"], key="trace-upload")
choice = right.radio("…or open an example", list(examples), index=0 if upload is None else None,
                     key="trace-example", format_func=lambda k: examples[k].title, disabled=upload is not None,
                     help="Remove your own file above to open an example.")
if upload is not None:
    name, source, read = upload.name, upload.name, upload.getvalue
elif choice is not None:
    name, source, read = examples[choice].path.name, examples[choice].title, examples[choice].path.read_bytes
else:
    st.stop()
raw = read()
try:
    doc = ui.open_trace_bytes(raw, name)
except ValueError as e:  # TraceFileError: what is wrong with the file, in one line
    refuse(str(e))
except Exception as e:  # a case no check foresaw: still one line, and ours to fix
    refuse(f"{name} could not be opened ({type(e).__name__}: {e}); please report this")
try:
    draw(doc, source, hashlib.blake2b(raw, digest_size=8).hexdigest())
except Exception as e:  # st.stop() is not an Exception: it passes through
    refuse(f"{name} was opened but could not be drawn ({type(e).__name__}: {e}); please report this")
