"""Quiz page: immediate feedback with the explanation, a score, retry; answers kept per lesson."""

from __future__ import annotations

import ui
from pipeline.lessons import get_lesson

SLUG = "sequence-classification"


def answer(at, slug: str, question: int, choice: int) -> None:
    attempt = at.session_state[f"quiz-attempt:{slug}"]
    at.radio(key=f"quiz-{slug}-{attempt}-{question}").set_value(choice).run()


def open_questions(at) -> list[int]:
    return [int(r.key.rsplit("-", 1)[1]) for r in at.radio]


def score(at) -> str:
    return at.metric[0].value


def test_feedback_score_and_retry(open_page) -> None:
    quiz = get_lesson(SLUG).content.quiz
    at = open_page("quiz")
    total = len(at.radio)  # the lesson's questions, then at least three about this run
    assert total >= len(quiz) + 3 and open_questions(at) == list(range(total)) and score(at) == f"0 of {total}"
    assert all(r.value is None for r in at.radio)

    answer(at, SLUG, 0, quiz[0].answer)
    assert at.success[0].value.startswith("**Right.**") and quiz[0].explanation.strip()[:40] in at.success[0].value
    wrong = (quiz[1].answer + 1) % len(quiz[1].choices)
    answer(at, SLUG, 1, wrong)
    assert "Not quite" in at.error[0].value and quiz[1].choices[quiz[1].answer] in at.error[0].value
    assert score(at) == f"1 of {total}"
    assert open_questions(at) == list(range(2, total))  # answered questions are locked
    marked = next(m.value for m in at.markdown if ui.WRONG in m.value)
    wrong_label = ui.escape_markdown(f"{'ABCDEF'[wrong]}. {quiz[1].choices[wrong]}")
    right_label = ui.escape_markdown(f"{'ABCDEF'[quiz[1].answer]}. {quiz[1].choices[quiz[1].answer]}")
    assert f"{ui.WRONG} **{wrong_label}** · your answer" in marked and f"{ui.RIGHT} {right_label}" in marked

    for i, q in enumerate(quiz[2:], start=2):
        answer(at, SLUG, i, q.answer)
    assert score(at) == f"{len(quiz) - 1} of {total}"
    for i in range(len(quiz), total):  # the questions about this run: answer the first choice of each
        answer(at, SLUG, i, 0)
    assert any("All done" in i.value for i in at.info)

    next(b for b in at.button if b.label == "Retry the quiz").click().run()
    assert score(at) == f"0 of {total}" and not at.success and not at.error
    assert open_questions(at) == list(range(total)) and all(r.value is None for r in at.radio)


def test_answers_survive_a_trip_to_another_page(open_page) -> None:
    quiz = get_lesson(SLUG).content.quiz
    at = open_page("quiz")
    answer(at, SLUG, 2, quiz[2].answer)
    at.switch_page("pages/overview.py").run()
    at.switch_page("pages/quiz.py").run()
    assert 2 not in open_questions(at) and len(at.success) == 1
    assert score(at).startswith("1 of")


def test_each_lesson_keeps_its_own_answers(open_page) -> None:
    at = open_page("quiz")
    answer(at, SLUG, 0, get_lesson(SLUG).content.quiz[0].answer)
    at.selectbox(key="lesson").select("seq2seq").run()
    seq2seq_quiz = get_lesson("seq2seq").content.quiz
    assert at.markdown[1].value.endswith(seq2seq_quiz[0].question)
    assert score(at).startswith("0 of") and len(at.radio) >= len(seq2seq_quiz) + 3
    at.selectbox(key="lesson").select(SLUG).run()
    assert score(at).startswith("1 of")


def test_questions_about_the_learners_run_are_answered_from_its_numbers(open_page) -> None:
    import ui
    from pipeline.app.quiz import generated_questions

    at = open_page("quiz")
    shared = ui.default_run(SLUG)
    questions = generated_questions(shared.document)
    first = len(get_lesson(SLUG).content.quiz)
    assert [at.markdown[i].value for i in range(len(at.markdown)) if at.markdown[i].value.startswith("#### ")][first:] \
        == [f"#### {first + k + 1}. {ui.escape_markdown(q.question)}" for k, q in enumerate(questions)]
    vocab = next(k for k, q in enumerate(questions) if "vocabulary" in q.question)
    assert questions[vocab].choices[questions[vocab].answer] == f"{shared.run.info['vocab_size']:,}"
    answer(at, SLUG, first + vocab, questions[vocab].answer)
    assert at.success and "<unk>" in at.success[0].value.replace("\\", "")
