"""What a push reruns on a learner's page (ui.follow.plan): the stage for a stage move, the bar for a question."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from pipeline.classroom.views import ClassState, QuestionSource, QuestionView
from ui.follow import FULL, Follower, plan, question_of, view_of

STATE = ClassState("K7QX2M", 5, "sequence-classification", "", "a fine film", 2, False, datetime(2030, 1, 1), None)
QUESTION = QuestionView(7, 1, "Pick one", ("a", "b"), QuestionSource.TEACHER, False, None, None)


def follower(**fields) -> Follower:
    base = Follower("s1", "K7QX2M", True, "prediction", view_of(replace(STATE, stage=1)), None, 4, "stage-f", "bar-f")
    return replace(base, **fields)


def test_a_stage_move_reruns_the_stage_fragment_only():
    assert plan(follower(), STATE, 0) == ["stage-f"]


def test_an_input_move_or_another_page_or_no_known_stage_fragment_reruns_the_page():
    assert plan(follower(view=view_of(replace(STATE, text="other"))), STATE, 0) == [FULL]
    assert plan(follower(page="training"), STATE, 0) == [FULL]
    assert plan(follower(stage_fragment=""), STATE, 0) == [FULL]


def test_a_question_reruns_the_bar_of_everyone_following_or_not():
    asked = replace(STATE, question=QUESTION)
    assert plan(follower(view=view_of(STATE)), asked, 0) == ["bar-f"]
    assert plan(follower(following=False, view=None), asked, 0) == ["bar-f"]
    assert plan(follower(), asked, 0) == ["stage-f", "bar-f"]
    shown = follower(view=view_of(STATE), question=question_of(asked))
    assert plan(shown, asked, 0) == []
    assert plan(shown, replace(asked, question=replace(QUESTION, revealed=True, answer=0)), 0) == ["bar-f"]


def test_a_guess_asked_revealed_or_closed_reruns_the_stage_it_hides_and_the_bar():
    guess = replace(STATE, question=replace(QUESTION, stage=2))
    still = follower(view=view_of(STATE))
    assert plan(still, guess, 0) == ["stage-f", "bar-f"]  # the stage hides
    assert plan(follower(following=False, view=None), guess, 0) == ["stage-f", "bar-f"]  # stepping away does not peek
    asked = follower(view=view_of(STATE), question=question_of(guess))
    assert plan(asked, guess, 0) == []
    assert plan(asked, replace(guess, question=replace(guess.question, revealed=True, answer=0)), 0) \
        == ["stage-f", "bar-f"]  # the stage shows
    assert plan(asked, replace(STATE, question=replace(QUESTION, id=8)), 0) == ["stage-f", "bar-f"]  # a quiz follows
    assert plan(asked, STATE, 0) == ["stage-f", "bar-f"]
    assert plan(follower(), guess, 0) == ["stage-f", "bar-f"]  # a stage move and a guess: the stage once
    assert plan(follower(view=view_of(STATE), page="training"), guess, 0) == ["bar-f"]  # no stage on that page
    assert plan(follower(view=view_of(STATE), stage_fragment=""), guess, 0) == [FULL]


def test_a_learner_not_following_is_left_alone_by_moves():
    assert plan(follower(following=False, view=None), STATE, 0) == []


def test_a_rename_or_removal_reruns_the_bar_and_an_end_or_a_gone_class_the_page():
    assert plan(follower(view=view_of(STATE), version=4), STATE, roster_version=5) == ["bar-f"]
    assert plan(follower(), replace(STATE, ended=True), 0) == [FULL]
    assert plan(follower(), None, 0) == [FULL]


def test_a_push_whose_messages_may_be_lost_is_pushed_again_the_same_while_its_page_has_those_fragments():
    from ui.follow import again

    assert again(follower(pushed=("stage-f",))) == ["stage-f"]
    assert again(follower(pushed=("stage-f", "bar-f"))) == ["stage-f", "bar-f"]
    assert again(follower(pushed=("stage-f",), stage_fragment="stage-g")) == [FULL]  # the page changed since
    assert again(follower(pushed=(FULL,))) == [FULL]
    assert again(follower(pushed=())) == [FULL]  # nothing known was pushed: the page
