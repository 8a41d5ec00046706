"""Open a trace: the shipped examples open, an upload is parsed as data only, a bad file is one message."""

from __future__ import annotations

import io

from app_helpers import charts, plain, table

from pipeline.examples import EXAMPLES, example_files
from pipeline.fileformat import open_path
from pipeline.render.figures import ACCENT, esc
from pipeline.render.tables import fmt_shape


def test_both_shipped_examples_open_with_their_data_flow_and_calls(open_page) -> None:
    assert set(example_files()) == set(EXAMPLES)  # both files ship
    at = open_page("open_trace")
    for key, example in EXAMPLES.items():
        at.radio(key="trace-example").set_value(key).run()
        assert not at.exception and not at.error
        doc = open_path(example.path)
        (flow,) = charts(at)
        assert len(flow["frames"]) == len(doc.stages)  # one frame per stage: its first example's values
        for k, (frame, stage) in enumerate(zip(flow["frames"], doc.stages, strict=True)):
            line, heading = (a["text"].replace("<br>", " ") for a in frame["layout"]["annotations"][:2])
            assert line.startswith(f"{esc(stage.title)}: ") and frame["data"][0]["marker"]["color"][k] == ACCENT
            assert fmt_shape(stage.sample.shape) in heading and frame["data"][3]["z"]  # the sample, with its shape
        stages = table(at, 0)
        assert list(stages["Stage"]) == [f"{i}. {s.title}" for i, s in enumerate(doc.stages, start=1)]
        calls = at.dataframe[0].value
        assert len(calls) == len(doc.trace)


def test_an_upload_opens_and_a_damaged_one_is_a_message(open_page, monkeypatch) -> None:
    raw = EXAMPLES["digits-cnn"].path.read_bytes()
    for data, name in ((raw, "mine.zip"), (raw[:200], "cut.zip"), (b"<html>", "page.json")):
        upload = io.BytesIO(data)
        upload.name = name
        monkeypatch.setattr("streamlit.file_uploader", lambda *a, upload=upload, **k: upload)
        at = open_page("open_trace")
        assert not at.exception
        if name == "mine.zip":
            assert not at.error and any("mine.zip" in plain(c.value) for c in at.caption)
        else:
            assert len(at.error) == 1 and name in at.error[0].value
