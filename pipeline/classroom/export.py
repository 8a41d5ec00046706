"""The class results as CSV for a spreadsheet: one row per learner and question."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from pipeline.classroom import access
from pipeline.classroom.store import AnswerRow, LearnerRow, QuestionRow, transact

HEADER = ("learner", "question", "asked", "choice", "result")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """``value`` as text a spreadsheet will not run: a leading ``= + - @`` tab or CR gets an apostrophe."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def results_csv(engine: Engine, code: str, secret: str) -> str:
    """Every learner's choice for every question, in joining and question order.

    Columns: ``learner, question, asked, choice, result`` — ``asked`` is ``quiz``, or for a guess asked before a
    stage was shown ``guess before stage N`` (N from 1); ``choice`` is the chosen option's text (empty when they
    did not answer) and ``result`` is ``right``, ``wrong`` or ``no answer``.
    """
    def work(session: Session) -> list[tuple[str, str, str, str, str]]:
        row = access.teacher_class(session, code, secret)
        learners = session.scalars(select(LearnerRow).where(LearnerRow.class_id == row.id).order_by(LearnerRow.id))
        questions = session.scalars(select(QuestionRow).where(QuestionRow.class_id == row.id)
                                    .order_by(QuestionRow.position)).all()
        picked = {(a.learner_id, a.question_id): a.choice for a in session.scalars(
            select(AnswerRow).join(QuestionRow).where(QuestionRow.class_id == row.id))}
        return [_row(learner, question, picked.get((learner.id, question.id)))
                for learner in learners for question in questions]

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows([safe_cell(cell) for cell in cells] for cells in transact(engine, work, write=False))
    return out.getvalue()


def _row(learner: LearnerRow, question: QuestionRow, choice: int | None) -> tuple[str, str, str, str, str]:
    asked = "quiz" if question.stage is None else f"guess before stage {question.stage + 1}"
    if choice is None:
        return learner.display_name, question.text, asked, "", "no answer"
    result = "right" if choice == question.answer else "wrong"
    return learner.display_name, question.text, asked, question.choices[choice], result
