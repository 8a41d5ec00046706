"""Open a trace: the shipped examples open, an upload is parsed as data only, a bad file is one message, shown
literally; a failure while drawing is one message too; the server keeps opened files within a byte budget."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from app_helpers import charts, table
from markdown_it import MarkdownIt

from pipeline.document.fileformat import open_path
from pipeline.examples import EXAMPLES, example_files
from pipeline.render.figures import ACCENT, esc
from pipeline.render.tables import fmt_shape

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the hostile files
import hostile_files

MARKDOWN = MarkdownIt("commonmark")  # a code span is literal in CommonMark and in Streamlit's GFM alike


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
            assert f"· {fmt_shape(stage.output_shape)}" in heading and frame["data"][3]["z"]  # the real shape
        stages = table(at, 0)
        assert list(stages["Stage"]) == [f"{i}. {s.title}" for i, s in enumerate(doc.stages, start=1)]
        calls = at.dataframe[0].value
        assert len(calls) == len(doc.trace)


def upload(monkeypatch, data: bytes, name: str) -> None:
    file = io.BytesIO(data)
    file.name = name
    monkeypatch.setattr("streamlit.file_uploader", lambda *a, **k: file)


def shown_literally(markdown: str, text: str) -> bool:
    """Whether ``markdown`` renders as one code span holding exactly ``text`` (no emphasis, link, math or icon)."""
    html = MARKDOWN.renderInline(markdown)
    return html == f"<code>{esc_html(text)}</code>"


def esc_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def test_an_upload_opens_and_a_damaged_one_is_a_message(open_page, monkeypatch) -> None:
    raw = EXAMPLES["digits-cnn"].path.read_bytes()
    for data, name in ((raw, "mine.zip"), (raw[:200], "cut.zip"), (b"<html>", "page.json")):
        upload(monkeypatch, data, name)
        at = open_page("open_trace")
        assert not at.exception
        if name == "mine.zip":
            assert not at.error and any("mine.zip" in m.value for m in at.markdown)
        else:
            assert len(at.error) == 1 and name in at.error[0].value


HOSTILE_NAME = "**bold** $$x^2$$ https://example.com :material/home: `tick` <b>b</b>"


@pytest.mark.parametrize("make", [hostile_files.root_call_one, hostile_files.ragged_matrix,
                                  hostile_files.gates_mismatch, hostile_files.attention_mismatch,
                                  hostile_files.encrypted_entry, lambda: hostile_files.stages(1_000),
                                  lambda: hostile_files.declared_sample(49_000_000)])
def test_a_hostile_file_is_one_literal_line_never_an_exception(open_page, monkeypatch, make) -> None:
    """These ended in KeyError, IndexError, ValueError or RuntimeError in the page, or drew 1,000 stages for a
    minute; the file name is full of Markdown, math, a link, an icon and a backtick."""
    name = f"{HOSTILE_NAME}.zip"
    upload(monkeypatch, make(), name)
    at = open_page("open_trace")
    assert not at.exception and len(at.error) == 1
    message = at.error[0].value
    assert name in message and "\n" not in message
    html = MARKDOWN.renderInline(message)
    assert html.startswith("<code>") and html.endswith("</code>") and html.count("<code>") == 1
    assert "<strong>" not in html and "<a " not in html and "<b>" not in html


def test_a_file_name_and_the_files_own_texts_are_shown_literally(open_page, monkeypatch) -> None:
    doc = hostile_files.document(model={"type": HOSTILE_NAME}, source={"made_by": HOSTILE_NAME},
                                 records=[hostile_files.record(type=HOSTILE_NAME)],
                                 stages=[hostile_files.stage(0, title=HOSTILE_NAME)])
    upload(monkeypatch, hostile_files.as_zip(doc), f"{HOSTILE_NAME}.zip")
    at = open_page("open_trace")
    assert not at.exception and not at.error
    (header,) = at.header
    assert shown_literally(header.value, HOSTILE_NAME)
    caption = next(m.value for m in at.markdown if m.value.startswith("From "))
    html = MARKDOWN.renderInline(caption)
    for text in (f"{HOSTILE_NAME}.zip", HOSTILE_NAME):  # the file's name, and the command that made it
        assert f"<code>{esc_html(text)}</code>" in html
    assert "<strong>" not in html and "<a " not in html
    assert list(table(at, 0)["Stage"]) == [f"1. {HOSTILE_NAME}"]  # every cell escaped (ui.table)


def test_a_failure_while_drawing_is_one_line_not_a_traceback(open_page, monkeypatch) -> None:
    from pipeline.render import animation

    def broken(*args, **kwargs):
        raise IndexError("list index out of range")

    monkeypatch.setattr(animation, "dataflow_animation", broken)
    upload(monkeypatch, EXAMPLES["digits-cnn"].path.read_bytes(), "mine.zip")
    at = open_page("open_trace")
    assert not at.exception and len(at.error) == 1
    message = at.error[0].value
    assert "mine.zip was opened but could not be drawn (IndexError: list index out of range)" in message
    assert "please report this" in message


def test_the_servers_opened_files_are_bounded_in_bytes_not_in_files() -> None:
    from pipeline.document.fileformat import opened_bytes
    from ui.runs import _OpenedFiles

    files = [hostile_files.stages(n) for n in (100, 200, 300)]
    sizes = [opened_bytes(raw) for raw in files]
    kept = _OpenedFiles(budget=sizes[1] + sizes[2])
    first = kept.get(files[0], "a.zip")
    assert kept.get(files[0], "again.zip") is first  # one parse per content
    for raw in files[1:]:
        kept.get(raw, "b.zip")
    assert kept.held <= kept.budget and kept.held == sizes[1] + sizes[2]  # the least recently opened went first
    assert kept.get(files[0], "a.zip") is not first  # opened again
    big = _OpenedFiles(budget=1)
    big.get(files[2], "c.zip")
    assert big.held == sizes[2]  # a file larger than the budget is still opened, and the only one kept
