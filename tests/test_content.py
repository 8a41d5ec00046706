"""Lesson content files load, and a broken one is reported with its file and field."""

import pytest

from pipeline.content.lesson import LessonContentError, load_content
from pipeline.lessons import LESSONS

GOOD = """
title = "T"
summary = "S"
intro = "I"
key_insight = "K"
[[stages]]
key = "a"
title = "A"
description = "D"
""" + """
[[quiz]]
question = "Q"
choices = ["x", "y"]
answer = 1
explanation = "E"
""" * 3


def write(tmp_path, text):
    path = tmp_path / "lesson.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("lesson", LESSONS.values(), ids=list(LESSONS))
def test_shipped_lessons_load_with_every_stage_described(lesson):
    content = lesson.content
    assert [s.key for s in content.stages] == list(lesson.stages)
    assert len(content.quiz) >= 3 and all(q.explanation for q in content.quiz)


def test_valid_file_loads(tmp_path):
    content = load_content(write(tmp_path, GOOD), ["a"])
    assert content.quiz[0].choices[content.quiz[0].answer] == "y"


@pytest.mark.parametrize(("change", "message"), [
    (lambda t: t.replace("answer = 1", "answer = 5", 1),
     r"lesson.toml: quiz\[0\]: answer must be between 0 and 1, got 5"),
    (lambda t: t.replace('title = "T"\n', ""), r"lesson.toml: title: Field required"),
    (lambda t: t.replace('intro = "I"', 'intro = "  "'), r"lesson.toml: intro: String should have at least 1"),
    (lambda t: t.replace('key_insight = "K"', 'key_insight = "K"\nqestions = 1'), r"lesson.toml: qestions: Extra"),
    (lambda t: t.replace('choices = ["x", "y"]', 'choices = ["x", "x"]', 1), r"quiz\[0\]: choices must all be"),
    (lambda t: t.replace('key = "a"', 'key = "b"'), r"lesson.toml: stages: the lesson needs exactly these stage keys"),
    (lambda t: t + "\n[[quiz]\n", r"lesson.toml: not valid TOML"),
])
def test_errors_name_the_file_and_the_field(tmp_path, change, message):
    with pytest.raises(LessonContentError, match=message):
        load_content(write(tmp_path, change(GOOD)), ["a"])


def test_too_few_questions_is_an_error(tmp_path):
    text = GOOD[: GOOD.index("[[quiz]]")] + GOOD[GOOD.index("[[quiz]]"):].split("[[quiz]]", 2)[1].join(["[[quiz]]", ""])
    with pytest.raises(LessonContentError, match=r"quiz: List should have at least 3 items"):
        load_content(write(tmp_path, text), ["a"])
