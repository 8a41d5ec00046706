"""Quiz scoring and labels."""

from pipeline.app.quiz import quiz_score
from pipeline.content.lesson import Question
from pipeline.render.describe import focus
from pipeline.render.numbers import percent


def test_quiz_score_counts_right_answers() -> None:
    questions = [Question(question=f"q{i}", choices=["a", "b", "c"], answer=i % 3, explanation="e") for i in range(4)]
    assert quiz_score(questions, {}) == (0, 0)
    assert quiz_score(questions, {0: 0, 1: 2, 3: 0}) == (2, 3)
    assert quiz_score(questions, {0: 0, 9: 0}) == (1, 2)  # an index out of range never counts as right


def test_choices_are_lettered() -> None:
    q = Question(question="q", choices=["x", "y"], answer=1, explanation="e")
    assert [q.label(i) for i in range(2)] == ["A. x", "B. y"]


def test_questions_about_a_run_are_answered_from_its_trace(classification_run):
    from pipeline.app.quiz import generated_questions

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


def test_predict_then_reveal_asks_what_each_stage_will_show_and_explains_it_in_words(classification_run):
    from pipeline.app.quiz import guess_question

    lesson, run = classification_run
    p = lesson.predict(run, "the acting was good but the plot was slow")
    screens = {v.key: v for v in p.screens()}
    assert guess_question(screens["raw_text"]) is None  # the learner typed it: nothing to guess
    answer = guess_question(screens["classifier"])
    assert answer.choices[answer.answer] == p.output and set(answer.choices) == set(run.info["classes"])
    assert f"“{p.output}”" in answer.explanation and percent(p.confidence) in answer.explanation
    padding = guess_question(screens["tokenize_pad"])
    assert padding.choices[padding.answer] == "1" and "then 1 × <pad> (id 0) fill" in padding.explanation  # 9 of 10
    alike = guess_question(screens["embedding"])
    a, b = focus(screens["embedding"]).rows
    assert alike.choices[alike.answer] == f"“{screens['embedding'].rows[a]}” and “{screens['embedding'].rows[b]}”"
    gates = screens["lstm_gates"]
    forget = guess_question(gates)
    assert forget.choices[forget.answer] == gates.tokens[gates.forget_at] and "forget gate" in forget.question
    vector = guess_question(screens["lstm"])
    assert vector.choices[vector.answer] == "64" and "1 sentence × 64 hidden units" in vector.explanation
    for view in screens.values():  # explanations name words and dimensions, never "one example"
        question = guess_question(view, seed=p.text)
        assert question is None or "example" not in question.explanation


def test_a_shape_guess_names_every_dimension_in_words(classification_run):
    from pipeline.app.quiz import guess_question

    lesson, run = classification_run
    p = lesson.predict(run, "good")  # one word: no pair of words to compare, so the embedding asks for its shape
    shape = guess_question(p.layer("embedding"))
    assert shape.choices[shape.answer] == "1 × 10 × 50"
    assert shape.explanation == "1 × 10 × 50: 1 sentence × 10 positions × 50 embedding features."


def test_the_guess_score_counts_right_guesses_on_this_input_only(classification_run):
    from pipeline.app.quiz import guess_question, guess_score

    lesson, run = classification_run
    p = lesson.predict(run, "the acting was good")
    screens = p.screens()
    right = {(p.text, i): guess_question(v, seed=p.text).answer for i, v in enumerate(screens) if i in (1, 5)}
    wrong = {(p.text, 2): (guess_question(screens[2], seed=p.text).answer + 1) % 3, ("another input", 5): 0}
    assert guess_score(screens, {**right, **wrong}, p.text) == (2, 3)
    assert guess_score(screens, {}, p.text) == (0, 0)
