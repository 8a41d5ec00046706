"""Links: opening one restores the view, the address follows the learner, bad values are notes."""

from __future__ import annotations

from pathlib import Path

from app_helpers import plain
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_link(page: str | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def warnings(at: AppTest) -> list[str]:
    return [plain(w.value) for w in at.warning]


def test_a_link_picks_the_lesson_fills_the_input_and_follows_the_learner() -> None:
    at = open_link("prediction", lesson="seq2seq", text="two thousand and five")
    assert at.selectbox(key="lesson").value == "seq2seq"
    assert at.text_input(key="pred-text:seq2seq").value == "two thousand and five"
    assert at.session_state["link-url"] == "/prediction?lesson=seq2seq&text=two+thousand+and+five"
    at.text_input(key="pred-text:seq2seq").input("four hundred and six").run()
    at.button(key="next").click().run()
    at.button(key="next").click().run()
    assert at.query_params["lesson"] == "seq2seq" and at.query_params["text"] == "four hundred and six"
    assert at.query_params["step"] == "3"

    again = open_link("prediction", **dict(at.query_params))  # a reload
    assert again.text_input(key="pred-text:seq2seq").value == "four hundred and six"
    assert any(m.value.startswith("**Stage 3 of") for m in again.markdown)


def test_bad_values_in_a_link_are_ignored_with_a_visible_note() -> None:
    at = open_link(None, lesson="<b>nope</b>", step="999", text="x" * 600, epochs="0")
    notes = warnings(at)  # shown on the page the link opens
    assert any("a lesson that does not exist (“<b>nope</b>”)" in n for n in notes)
    assert any("600 characters long" in n for n in notes)
    assert any("step “999” is not a step number" in n for n in notes)
    assert any("Epochs (epochs) must be between 1 and 50, got 0" in n for n in notes)
    assert at.selectbox(key="lesson").value == "sequence-classification"
    assert all(not m.proto.allow_html for m in at.markdown)


def test_presenter_mode_from_the_link_is_on_and_stays_in_the_link() -> None:
    at = open_link("prediction", present="1")
    assert at.toggle(key="present").value is True
    assert at.query_params["present"] == "1"
    assert input_folded(at)  # the input folded into the toolbar: the picture keeps its room
    at.toggle(key="present").set_value(False).run()
    assert "present" not in at.query_params and not input_folded(at)


def input_folded(at) -> bool:
    """Whether the Prediction page's input sits in a popover (the stepper's toolbar) rather than in its own row."""
    return any(p.text_input for p in at.get("popover"))


def test_settings_in_a_link_fill_the_training_form() -> None:
    at = open_link("training", epochs="7", lr="0.01")
    inputs = {w.key.rsplit(":", 1)[1]: w.value for w in at.number_input}
    assert inputs["epochs"] == 7 and inputs["lr"] == 0.01
