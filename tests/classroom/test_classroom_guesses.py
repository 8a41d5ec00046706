"""The class predicts together: before a stage is shown the teacher asks what it will show; learners' guesses
gather on the teacher's board while the stage stays hidden from them; the reveal shows it; the guesses are kept
with the class's answers and in its CSV. On SQLite and PostgreSQL; and a database of the previous revision keeps
its questions as quiz questions."""

from __future__ import annotations

import csv
import io

import pytest
from alembic import command
from sqlalchemy import text

from pipeline.app.quiz import guess_question
from pipeline.classroom import (
    InvalidValue,
    QuestionClosed,
    QuestionSource,
    answer,
    class_state,
    distribution,
    join_class,
    learner_view,
    open_guess,
    open_question,
    results_csv,
    reveal,
    set_view,
    start_class,
)
from pipeline.classroom.migrate import alembic_config, current_revision, head_revision, upgrade
from pipeline.classroom.store import open_engine
from pipeline.document.views import AttentionView, Mark

WORDS = ("the", "acting", "was", "not", "good")


def attention_stage() -> AttentionView:
    """A self-attention stage whose most-attended word is “not” (what a guess asks about)."""
    grid = tuple(tuple(0.6 if c == 3 else 0.1 for c in range(5)) for _ in range(5))
    return AttentionView(key="attention_1", title="Softmax", description="d", rows=WORDS, cols=WORDS,
                         row_marks=(Mark.WORD,) * 5, col_marks=(Mark.WORD,) * 5, weights=(grid,))


def test_two_learners_guesses_are_on_the_teachers_board_before_the_reveal_and_the_stage_stays_hidden(engine,
                                                                                                    started):
    ana, ben = join_class(engine, started.code, "Ana"), join_class(engine, started.code, "Ben")
    set_view(engine, started.code, started.secret, lesson="transformer-classification", text=" ".join(WORDS),
             stage=6)
    q = guess_question(attention_stage(), seed=" ".join(WORDS))  # "Which of your words will draw the most attention?"
    asked = open_guess(engine, started.code, started.secret, q.question, q.choices, q.answer, q.explanation)
    assert (asked.stage, asked.about, asked.source, asked.hides) == (6, " ".join(WORDS), QuestionSource.GENERATED, 6)
    right, wrong = q.answer, (q.answer + 1) % len(q.choices)
    answer(engine, ana.token, asked.id, right)
    answer(engine, ben.token, asked.id, wrong)

    board = distribution(engine, started.code, started.secret, asked.id)  # what the teacher's board draws
    assert (board.answered, board.learners) == (2, 2)
    assert board.counts[right] == 1 and board.counts[wrong] == 1 and sum(board.counts) == 2
    seen = learner_view(engine, ana.token)
    assert seen.state.stage == 6 and seen.state.question.hides == 6  # the stage is kept from them until the reveal
    assert (seen.state.question.answer, seen.my_choice, seen.correct) == (None, right, None)

    shown = reveal(engine, started.code, started.secret, asked.id)
    assert shown.hides is None and shown.answer == right and "not" in q.choices[right]
    assert (learner_view(engine, ana.token).correct, learner_view(engine, ben.token).correct) == (True, False)
    with pytest.raises(QuestionClosed):
        answer(engine, ben.token, asked.id, right)  # after the reveal, guesses are closed
    assert distribution(engine, started.code, started.secret, asked.id).counts == board.counts  # kept

    rows = list(csv.reader(io.StringIO(results_csv(engine, started.code, started.secret))))
    assert rows[0] == ["learner", "question", "asked", "choice", "result"]
    assert rows[1:] == [["Ana", q.question, "guess before stage 7", q.choices[right], "right"],
                        ["Ben", q.question, "guess before stage 7", q.choices[wrong], "wrong"]]


def test_a_quiz_question_hides_no_stage_and_a_guess_names_a_real_stage(engine, started):
    quiz = open_question(engine, started.code, started.secret, "What leaves the embedding?", ("ids", "vectors"), 1)
    assert (quiz.stage, quiz.hides) == (None, None)
    assert class_state(engine, started.code).question.stage is None
    for bad in (-1, 1_000, True, "3"):
        with pytest.raises(InvalidValue, match="stage must be from 0 to 999"):
            open_question(engine, started.code, started.secret, "Q?", ("a", "b"), 0, stage=bad)


def test_a_database_of_the_previous_revision_keeps_its_questions_as_quiz_questions(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = open_engine(url)  # at head: then back to 0002, as a server of the previous version left it
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0002")
    assert current_revision(engine) == "0002"
    info, secret = start_class(engine, "sequence-classification")
    with engine.begin() as connection:
        class_id = connection.execute(text("SELECT id FROM classroom_classes")).scalar()
        connection.execute(text("INSERT INTO classroom_questions (class_id, position, text, choices, answer, "
                                "explanation, source, opened, revealed) VALUES (:c, 1, 'Old?', '[\"a\", \"b\"]', 1, "
                                "'', 'written', 1, 0)"), {"c": class_id})
    upgrade(engine)
    assert current_revision(engine) == head_revision() == "0003"
    kept = class_state(engine, info.code).question
    assert (kept.text, kept.stage, kept.about, kept.hides) == ("Old?", None, "", None)
    learner = join_class(engine, info.code, "Ana")
    answer(engine, learner.token, kept.id, 1)
    assert results_csv(engine, info.code, secret).splitlines()[1] == "Ana,Old?,quiz,b,right"
    engine.dispose()
