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


def test_questions_about_a_run_are_answered_from_its_trace(classification_run):
    from pipeline.quiz import generated_questions

    lesson, run = classification_run
    prediction = lesson.predict(run, "the acting was <b>not</b> good")
    doc = lesson.document(run, prediction)
    questions = generated_questions(doc)
    assert len(questions) >= 3 and generated_questions(doc) == questions  # the same run, the same questions
    right = {q.question: q.choices[q.answer] for q in questions}
    shape_q = next(k for k in right if "What shape came out" in k)
    assert right[shape_q] == "1,000 × 10 × 50"
    assert right["How many different tokens does your model's vocabulary hold (<pad> and <unk> included)?"] == \
        f"{run.info['vocab_size']:,}"
    answer_q = next(k for k in right if k.startswith("What did your model answer for “the acting was <b>not</b>"))
    assert right[answer_q].startswith(f"{prediction.output}, about {round(prediction.confidence * 100)}% sure")
    assert right["How many numbers (parameters) did your model learn?"] == f"{run.trace.root.num_params:,}"
    assert all(len(set(q.choices)) == len(q.choices) >= 3 for q in questions)


def test_predict_then_reveal_asks_about_the_next_stage(classification_run):
    from pipeline.quiz import guess_question

    lesson, run = classification_run
    p = lesson.predict(run, "the acting was good")
    classes = guess_question(p.layer("classifier"))
    assert classes.choices[classes.answer] == p.output and set(classes.choices) == set(run.info["classes"])
    shape = guess_question(p.layer("embedding"))
    assert shape.choices[shape.answer] == "1 × 10 × 50" and guess_question(p.layer("raw_text")) is None
