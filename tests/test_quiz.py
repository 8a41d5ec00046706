"""Quiz scoring and labels."""

from pipeline.content import Question
from pipeline.quiz import choice_label, quiz_score


def test_quiz_score_counts_right_answers() -> None:
    questions = [Question(question=f"q{i}", choices=["a", "b", "c"], answer=i % 3, explanation="e") for i in range(4)]
    assert quiz_score(questions, {}) == (0, 0)
    assert quiz_score(questions, {0: 0, 1: 2, 3: 0}) == (2, 3)
    assert quiz_score(questions, {0: 0, 9: 0}) == (1, 2)  # an index out of range never counts as right


def test_choices_are_lettered() -> None:
    q = Question(question="q", choices=["x", "y"], answer=1, explanation="e")
    assert [choice_label(q, i) for i in range(2)] == ["A. x", "B. y"]
