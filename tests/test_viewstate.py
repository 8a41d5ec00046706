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


# --- edges and exact notes (each kills mutants the tests above let through: bench/mutation.py viewstate) ---

ON_BY_DEFAULT = SettingSpec("shuffle", "Shuffle", "", True, 0, 1, bool)


@pytest.mark.parametrize(("value", "written"), [(1.0, "1"), (10.0, "10"), (0.25, "0.25"), (7, "7")])
def test_numbers_in_links_drop_a_trailing_point_zero(value, written) -> None:
    assert to_params(LinkView(settings={"lr": value}), SPECS) == {"lr": written}


def test_a_setting_on_by_default_is_written_off_as_0() -> None:
    assert to_params(LinkView(settings={"shuffle": False}), [ON_BY_DEFAULT]) == {"shuffle": "0"}
    assert to_params(LinkView(settings={"shuffle": True}), [ON_BY_DEFAULT]) == {}


@pytest.mark.parametrize(("step", "written"), [(1, None), (2, "2")])
def test_step_1_is_left_out_of_links_and_step_2_is_not(step, written) -> None:
    assert to_params(LinkView(step=step)).get("step") == written


@pytest.mark.parametrize("step", ["1", "2", "100"])
def test_steps_from_1_to_100_are_read(step) -> None:
    assert from_params({"step": step}, LESSONS, "a-lesson") == (LinkView(step=int(step)), [])


def test_a_text_of_exactly_the_limit_is_kept_and_one_more_is_refused_in_full() -> None:
    assert from_params({"text": "x" * MAX_TEXT}, LESSONS, "a-lesson") == (LinkView(text="x" * MAX_TEXT), [])
    assert from_params({"text": "x" * (MAX_TEXT + 1)}, LESSONS, "a-lesson")[1] == [
        f"The link's text is {MAX_TEXT + 1} characters long; links carry at most {MAX_TEXT}, so it was not used."]


def test_a_bad_class_code_is_refused_in_full() -> None:
    assert from_params({"class": "a-b"}, LESSONS, "a-lesson") == (LinkView(), [
        "The link's class code “a-b” is not a class code (letters and digits); it was ignored."])


@pytest.mark.parametrize(("name", "shown"), [("x" * 40, "x" * 40), ("y" * 41, "y" * 39 + "…")])
def test_values_in_notes_are_cut_after_40_characters(name, shown) -> None:
    notes = from_params({"lesson": name}, LESSONS, "a-lesson")[1]
    assert notes == [f"The link names a lesson that does not exist (“{shown}”); showing a-lesson instead."]


@pytest.mark.parametrize(("raw", "present"), [("1", True), ("true", True), ("on", True), (" Yes ", True),
                                              ("TRUE", True), ("ON", True), ("0", False), ("no", False), ("", False)])
def test_presenter_mode_words(raw, present) -> None:
    assert from_params({"present": raw}, LESSONS, "a-lesson")[0].present is present


def test_a_repeated_parameter_counts_its_last_value_and_an_empty_one_none() -> None:
    assert from_params({"step": ["2", "3", "4"], "text": []}, LESSONS, "a-lesson") == (LinkView(step=4), [])


def test_a_default_lesson_without_settings_reads_no_settings() -> None:
    assert from_params({"epochs": "7"}, {}, "gone") == (LinkView(), [])
