"""Quiz: the lesson's questions and questions about your own run, with feedback, a score and a retry."""

import streamlit as st

import ui
from pipeline.app.quiz import generated_questions, quiz_score
from ui import keys

lesson = ui.lesson()
slug = lesson.slug
run, is_own = ui.run_to_use(slug)
text = st.session_state.get(keys.text(slug)) or (run.examples[0][0] if run.examples else "")
try:
    document = lesson.document(run, ui.predict(lesson, run, text))
except ValueError:  # the Prediction page's input cannot be traced: ask about a held-out example instead
    document = lesson.document(run, ui.predict(lesson, run, run.examples[0][0]))
written, generated = list(lesson.content.quiz), generated_questions(document)
questions = written + generated
answers: dict[int, int] = st.session_state.setdefault(keys.quiz(slug), {})
attempt_key = keys.quiz_attempt(slug)
attempt = st.session_state.setdefault(attempt_key, 0)


def record(index: int, widget_key: str) -> None:
    answers[index] = st.session_state[widget_key]


def retry() -> None:
    answers.clear()
    st.session_state[attempt_key] += 1  # fresh widget keys: every question starts unanswered


def ask(i: int, literal: bool) -> None:
    """One question: open (a radio), or answered (the choices marked, the explanation)."""
    q = questions[i]
    shown = ui.escape_markdown if literal else str  # questions about a run quote the learner's input
    st.markdown(f"#### {i + 1}. {shown(q.question)}")
    key = f"quiz-{slug}-{attempt}-{i}"
    if i not in answers:
        st.radio(q.question, list(range(len(q.choices))), index=None, key=key, label_visibility="collapsed",
                 format_func=lambda c, q=q: ui.escape_markdown(q.label(c)), on_change=record, args=(i, key))
        return
    st.markdown("  \n".join(ui.marked_choices(q, answers[i])))
    if answers[i] == q.answer:
        st.success(f"**Right.** {shown(q.explanation)}", icon=":material/check_circle:")
    else:
        st.error(f"**Not quite** -- the answer is {ui.escape_markdown(q.label(q.answer))}. "
                 f"{shown(q.explanation)}", icon=":material/cancel:")


st.title("Quiz")
st.markdown("Pick an answer: you see straight away whether it is right, and why.")
for i in range(len(written)):
    ask(i, literal=False)
if generated:
    st.header("About your model", anchor="your-model")
    st.caption(("Your own model, from the Training page" if is_own else "The lesson's model") +
               ": these answers come from its trace and its numbers.")
    for i in range(len(written), len(questions)):
        ask(i, literal=True)

correct, answered = quiz_score(questions, answers)
st.divider()
st.metric("Score", f"{correct} of {len(questions)}", f"{answered} of {len(questions)} answered", delta_color="off",
          delta_arrow="off")
if answered == len(questions):
    st.info("All done! " + ("A perfect score." if correct == len(questions) else
                            "Read the explanations above, then try again."), icon=":material/flag:")
st.button("Retry the quiz", on_click=retry, disabled=not answers, icon=":material/restart_alt:")
