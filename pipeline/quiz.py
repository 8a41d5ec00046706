"""Quiz scoring and labels, shared by the Quiz page, the handout and a class session."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pipeline.content import Question

LETTERS = "ABCDEF"  # choices are labelled A, B, C, ...


def choice_label(question: Question, index: int) -> str:
    """``"B. A context vector"``."""
    return f"{LETTERS[index]}. {question.choices[index]}"


def quiz_score(questions: Sequence[Question], answers: Mapping[int, int]) -> tuple[int, int]:
    """(correct, answered) for the answers given so far, by question index."""
    correct = sum(1 for i, choice in answers.items() if 0 <= i < len(questions) and questions[i].answer == choice)
    return correct, len(answers)
