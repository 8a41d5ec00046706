"""The results CSV: exact rows, and cells a spreadsheet will not execute."""

from __future__ import annotations

import csv
import io

import pytest

from pipeline.classroom import answer, join_class, open_question, results_csv, reveal
from pipeline.classroom.export import safe_cell


def test_results_csv_has_one_row_per_learner_and_question(engine, started):
    ana, ben = join_class(engine, started.code, "Ana"), join_class(engine, started.code, "Ben, Jr.")
    first = open_question(engine, started.code, started.secret, "What comes first?", ("text", "ids"), 0)
    answer(engine, ana.token, first.id, 0)
    answer(engine, ben.token, first.id, 1)
    reveal(engine, started.code, started.secret, first.id)
    second = open_question(engine, started.code, started.secret, 'Say "vector"?', ("yes", "no"), 1)
    answer(engine, ben.token, second.id, 1)
    assert results_csv(engine, started.code, started.secret) == (
        "learner,question,asked,choice,result\n"
        "Ana,What comes first?,quiz,text,right\n"
        "Ana,\"Say \"\"vector\"\"?\",quiz,,no answer\n"
        "\"Ben, Jr.\",What comes first?,quiz,ids,wrong\n"
        "\"Ben, Jr.\",\"Say \"\"vector\"\"?\",quiz,no,right\n"
    )


def test_results_csv_of_a_class_without_questions_is_just_the_header(engine, started):
    join_class(engine, started.code, "Ana")
    assert results_csv(engine, started.code, started.secret) == "learner,question,asked,choice,result\n"


def test_formulas_in_names_questions_and_choices_are_neutralised(engine, started):
    learner = join_class(engine, started.code, "=HYPERLINK(\"http://x\")")
    question = open_question(engine, started.code, started.secret, "+SUM(A1:A9)", ("-2+3", "@cmd"), 0)
    answer(engine, learner.token, question.id, 1)
    rows = list(csv.reader(io.StringIO(results_csv(engine, started.code, started.secret))))
    assert rows[1] == ["'=HYPERLINK(\"http://x\")", "'+SUM(A1:A9)", "quiz", "'@cmd", "wrong"]


@pytest.mark.parametrize(("value", "cell"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("a=b", "a=b"), ("", ""), (" =1", " =1"), (3, "3"),
])
def test_safe_cell(value, cell):
    assert safe_cell(value) == cell
