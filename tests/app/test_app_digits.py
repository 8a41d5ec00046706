"""The digits lesson in the app, through the registry like any other: the Prediction page's input follows the lesson's
input kind (no text box; held-out images named by their place), Open a trace opens its trace file, and a class
follows the teacher's image and stage."""

from __future__ import annotations

import io
from pathlib import Path

from app_helpers import charts
from streamlit.testing.v1 import AppTest

from pipeline.app.default_run import default_run
from pipeline.document.fileformat import save
from pipeline.lessons import get_lesson

APP = str(Path(__file__).resolve().parents[2] / "app.py")
SLUG = "digits-cnn"


def stage_heading(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Stage "))


def test_the_prediction_page_takes_a_drawing_or_a_held_out_image_never_text(open_page) -> None:
    at = open_page("prediction", lesson=SLUG)
    assert not at.exception and not at.text_input  # no text box: the canvas is the input
    picker = at.selectbox(key=f"pred-example:{SLUG}")
    assert picker.options[:2] == ["Held-out image 1", "Held-out image 2"]  # named by place, never by the answer
    code = default_run(get_lesson(SLUG)).run.examples[4][0]
    picker.select(code).run()  # the option's value is the image's code; the picker shows its name
    assert not at.exception and stage_heading(at) == "**Stage 1 of 7**"
    assert at.session_state[f"pred-text:{SLUG}"] == code
    for step in range(2, 8):
        at.button(key="next").click().run()
        assert not at.exception and stage_heading(at) == f"**Stage {step} of 7**"
    assert charts(at)  # the stage's picture


def test_open_a_trace_opens_a_digits_trace_file(open_page, monkeypatch, tmp_path) -> None:
    lesson = get_lesson(SLUG)
    run = lesson.run(lesson.settings_type(epochs=1, samples=200))
    path = tmp_path / "digits.trace.zip"
    save(lesson.document(run, lesson.predict(run, run.examples[0][0]), "test"), path)
    upload = io.BytesIO(path.read_bytes())
    upload.name = path.name
    monkeypatch.setattr("streamlit.file_uploader", lambda *a, **k: upload)
    at = open_page("open_trace")
    assert not at.exception and not at.error
    assert charts(at)


def session(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def test_a_class_follows_the_teachers_image_and_stage() -> None:
    t = session(lesson=SLUG)
    t.switch_page("pages/class_session.py").run()
    t.button(key="class-start").click().run()
    code, _ = t.session_state["class-teacher"]
    ana = session(**{"class": code})
    ana.text_input(key="class-name").input("Ana").run()
    ana.button(key="class-join").click().run()
    assert not ana.exception and stage_heading(ana) == "**Stage 1 of 7**"
    t.switch_page("pages/prediction.py").run()
    image = default_run(get_lesson(SLUG)).run.examples[3][0]
    t.selectbox(key=f"pred-example:{SLUG}").select(image).run()
    assert t.session_state[f"pred-text:{SLUG}"] == image
    t.button(key="next").click().run()
    t.button(key="next").click().run()
    ana.run()  # the poll saw a new version: the page reran on the teacher's view
    assert not ana.exception and stage_heading(ana) == "**Stage 3 of 7**"
    assert ana.session_state[f"pred-text:{SLUG}"] == image
