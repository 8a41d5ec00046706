"""Open a trace: upload a trace file (from `pipeline-trace run --save/--json` or `pipeline-trace trace`) and see
its data flow, every call and its samples -- for any model, no code run on the server."""

import streamlit as st

import ui
from pipeline import fileformat
from pipeline.examples import example_files
from pipeline.render import animation, tables

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
try:
    if upload is not None:
        doc = ui.open_trace_bytes(upload.getvalue(), upload.name)
        source = upload.name
    elif choice is not None:
        doc = ui.open_trace_bytes(examples[choice].path.read_bytes(), examples[choice].path.name)
        source = examples[choice].title
    else:
        st.stop()
except ValueError as e:  # TraceFileError: one line saying what is wrong with the file
    st.error(str(e), icon=":material/error:")
    st.stop()

st.header(ui.escape_markdown(doc.title), anchor=False)
made = doc.source.get("made_by", "")
st.caption(f"From {ui.escape_markdown(source)} · {len(doc.trace):,} calls recorded · "
           f"{doc.trace.root.num_params if '' in doc.trace else 0:,} parameters" +
           (f" · made by {ui.escape_markdown(made)}" if made else ""))  # no `code`: too faint in a caption
ui.chart(animation.dataflow_animation(doc.stages), key="open-trace-flow")
st.subheader("Stages", anchor=False)
ui.table(tables.stage_rows(doc.stages))
with st.expander(f"Every call ({len(doc.trace):,})"):
    st.dataframe(tables.frame(tables.call_rows(doc.trace)), hide_index=True)
if doc.prediction is not None:
    st.subheader("Prediction", anchor=False)
    for number, layer in enumerate(doc.prediction.layers, start=1):
        ui.show_layer(layer, key=f"open-layer-{number}", number=number)
