"""Quiz questions in class: open, answer, replace, reveal, and the live distribution."""

from __future__ import annotations

import pytest

from pipeline.classroom import (
    InvalidChoice,
    InvalidValue,
    QuestionClosed,
    QuestionSource,
    UnknownLearner,
    UnknownQuestion,
    answer,
    class_state,
    distribution,
    join_class,
    learner_view,
    open_question,
    reveal,
    start_class,
)

CHOICES = ("token ids", "vectors", "a label")
EXPLAIN = "The embedding turns each id into a vector."


@pytest.fixture
def asked(engine, started):
    """Two learners and an open question whose answer is choice 1."""
    ana, ben = join_class(engine, started.code, "Ana"), join_class(engine, started.code, "Ben")
    question = open_question(engine, started.code, started.secret, "What leaves the embedding?", CHOICES, 1,
                             EXPLAIN, "written")
    return ana, ben, question


def test_an_opened_question_reaches_learners_without_its_answer(engine, started, asked):
    ana, _, question = asked
    assert (question.position, question.text, question.choices) == (1, "What leaves the embedding?", CHOICES)
    assert (question.source, question.revealed, question.answer, question.explanation) == (
        QuestionSource.WRITTEN, False, None, None)
    state = class_state(engine, started.code)
    assert (state.version, state.question) == (2, question)
    view = learner_view(engine, ana.token)
    assert (view.state.question, view.my_choice, view.correct) == (question, None, None)


def test_answers_are_counted_per_choice(engine, started, asked):
    ana, ben, question = asked
    before = distribution(engine, started.code, started.secret, question.id)
    assert (before.counts, before.answered, before.learners) == ((0, 0, 0), 0, 2)
    receipt = answer(engine, ana.token, question.id, 1)
    assert (receipt.question_id, receipt.learner_id, receipt.choice, receipt.replaced) == (
        question.id, ana.learner_id, 1, False)
    answer(engine, ben.token, question.id, 2)
    shown = distribution(engine, started.code, started.secret, question.id)
    assert (shown.question_id, shown.counts, shown.answered, shown.learners) == (question.id, (0, 1, 1), 2, 2)
    assert class_state(engine, started.code).version == 2  # answers do not wake every poller


def test_a_second_answer_replaces_the_first(engine, started, asked):
    ana, _, question = asked
    answer(engine, ana.token, question.id, 0)
    assert answer(engine, ana.token, question.id, 2).replaced is True
    assert distribution(engine, started.code, started.secret, question.id).counts == (0, 0, 1)
    assert learner_view(engine, ana.token).my_choice == 2


def test_reveal_shows_the_answer_and_closes_answering(engine, started, asked):
    ana, ben, question = asked
    answer(engine, ana.token, question.id, 1)
    answer(engine, ben.token, question.id, 0)
    shown = reveal(engine, started.code, started.secret, question.id)
    assert (shown.revealed, shown.answer, shown.explanation) == (True, 1, EXPLAIN)
    assert reveal(engine, started.code, started.secret, question.id) == shown
    assert class_state(engine, started.code).version == 3  # revealing twice bumps once
    assert (learner_view(engine, ana.token).correct, learner_view(engine, ben.token).correct) == (True, False)
    with pytest.raises(QuestionClosed, match="question 1 is already revealed; answers are closed"):
        answer(engine, ben.token, question.id, 1)
    assert distribution(engine, started.code, started.secret, question.id).counts == (1, 1, 0)


def test_opening_a_new_question_closes_the_previous_one(engine, started, asked):
    ana, _, first = asked
    second = open_question(engine, started.code, started.secret, "Which is not a stage?", ("lstm", "pizza"), 1)
    assert (second.position, second.source) == (2, QuestionSource.TEACHER)
    assert class_state(engine, started.code).question == second
    with pytest.raises(QuestionClosed, match="question 1 is not open"):
        answer(engine, ana.token, first.id, 1)
    assert answer(engine, ana.token, second.id, 1).replaced is False


@pytest.mark.parametrize("choice", [-1, 3, True, "1", 1.0, None])
def test_choices_out_of_range_are_refused(engine, started, asked, choice):
    ana, _, question = asked
    with pytest.raises(InvalidChoice, match=f"choice must be from 0 to 2 for question 1, got {choice!r}"):
        answer(engine, ana.token, question.id, choice)
    assert distribution(engine, started.code, started.secret, question.id).answered == 0


def test_questions_of_other_classes_or_unknown_ids_are_refused(engine, started, asked):
    ana = asked[0]
    other, secret = start_class(engine, "seq2seq")
    foreign = open_question(engine, other.code, secret, "Elsewhere?", ("a", "b"), 0)
    for bad in (foreign.id, 987654, "1"):
        with pytest.raises(UnknownQuestion, match=f"no question {bad!r} in class {started.code}"):
            answer(engine, ana.token, bad, 0)
        with pytest.raises(UnknownQuestion):
            reveal(engine, started.code, started.secret, bad)
        with pytest.raises(UnknownQuestion):
            distribution(engine, started.code, started.secret, bad)


def test_answering_with_a_bad_token_is_refused(engine, started, asked):
    question = asked[2]
    with pytest.raises(UnknownLearner):
        answer(engine, started.secret, question.id, 0)  # the teacher's secret is no learner token


@pytest.mark.parametrize(("question", "choices", "answer_index", "source", "message"), [
    ("", CHOICES, 0, "teacher", "question must not be empty"),
    ("Q" * 501, CHOICES, 0, "teacher", "question must be at most 500 characters, got 501"),
    ("Q?", ("only one",), 0, "teacher", "choices must be a list of 2 to 8 texts"),
    ("Q?", "ab", 0, "teacher", "choices must be a list of 2 to 8 texts, got 'ab'"),
    ("Q?", ("a", " "), 0, "teacher", "choice 1 must not be empty"),
    ("Q?", CHOICES, 3, "teacher", "answer must be a choice index from 0 to 2, got 3"),
    ("Q?", CHOICES, True, "teacher", "got True"),
    ("Q?", CHOICES, 0, "invented", "source must be one of written, generated, teacher, got 'invented'"),
])
def test_open_question_refuses_bad_questions(engine, started, question, choices, answer_index, source, message):
    with pytest.raises(InvalidValue, match=message):
        open_question(engine, started.code, started.secret, question, choices, answer_index, source=source)
    assert class_state(engine, started.code).question is None


def test_every_source_is_accepted(engine, started):
    for source in ("written", "generated", QuestionSource.TEACHER):
        assert open_question(engine, started.code, started.secret, "Q?", ("a", "b"), 0, source=source).source == source
