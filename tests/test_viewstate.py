"""Links: a view survives the round trip to query parameters, and hostile values become notes, never errors."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.app.viewstate import MAX_TEXT, LinkView, from_params, to_params
from pipeline.training.settings import SettingSpec

SPECS = [SettingSpec("epochs", "Epochs", "", 5, 1, 50, int),
         SettingSpec("lr", "Learning rate", "", 0.002, 0.0001, 1, float),
         SettingSpec("attention", "Attention", "", False, 0, 1, bool)]
LESSONS = {"a-lesson": SPECS, "other": SPECS[:1]}


def through_a_link(view: LinkView) -> tuple[LinkView, list[str]]:
    query = urlencode(to_params(view, SPECS))  # what the address bar holds
    return from_params(dict(parse_qsl(query, keep_blank_values=True)), LESSONS, "a-lesson")


def test_a_view_comes_back_from_its_link() -> None:
    view = LinkView("a-lesson", "two thousand and five & <b>more</b> = 100%", 3, {"epochs": 8, "lr": 0.01,
                                                                             "attention": True}, True, "ABC234")
    assert through_a_link(view) == (view, [])
    assert to_params(view, SPECS) == {"lesson": "a-lesson", "text": view.text, "step": "3", "epochs": "8",
                                      "lr": "0.01", "attention": "1", "present": "1", "class": "ABC234"}


def test_defaults_are_left_out_of_links() -> None:
    assert to_params(LinkView("a-lesson", None, 1, {"epochs": 5, "lr": 0.002, "attention": False}), SPECS) == \
        {"lesson": "a-lesson"}


@pytest.mark.parametrize(("params", "note"), [
    ({"lesson": "nope<script>"}, "a lesson that does not exist (“nope<script>”)"),
    ({"text": "x" * (MAX_TEXT + 1)}, "501 characters long"),
    ({"step": "0"}, "step “0” is not a step number"),
    ({"step": "-3"}, "is not a step number"),
    ({"step": "9" * 40}, "is not a step number"),
    ({"epochs": "0"}, "Epochs (epochs) must be between 1 and 50, got 0"),
    ({"epochs": "2.5"}, "Epochs (epochs) must be a whole number"),
    ({"lr": "nan"}, "Learning rate (lr) must be between"),
    ({"lr": "inf"}, "Learning rate (lr) must be between"),
    ({"attention": "maybe"}, "Attention (attention) must be on or off"),
    ({"class": "../../etc"}, "is not a class code"),
])
def test_each_bad_value_is_ignored_with_a_note(params, note) -> None:
    view, notes = from_params(params, LESSONS, "a-lesson")
    assert len(notes) == 1 and note in notes[0]
    assert view == LinkView(present=False)  # nothing of the bad value survives


def test_settings_are_read_for_the_lesson_the_link_names() -> None:
    view, notes = from_params({"lesson": "other", "epochs": "7", "lr": "0.5"}, LESSONS, "a-lesson")
    assert view.settings == {"epochs": 7} and notes == []  # "other" has no lr: not a setting of its own


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.dictionaries(st.sampled_from(["lesson", "text", "step", "epochs", "lr", "attention", "present", "class",
                                        "junk"]), st.text(max_size=600)))
def test_any_link_at_all_gives_a_view_and_notes(params) -> None:
    view, notes = from_params(params, LESSONS, "a-lesson")
    assert view.lesson in (None, *LESSONS) and (view.text is None or len(view.text) <= MAX_TEXT)
    assert all(isinstance(n, str) for n in notes)
    again, more = through_a_link(view)
    assert again == view and more == []  # what survived survives again
