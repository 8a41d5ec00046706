"""Quiz: the lesson's questions with immediate feedback, a score and a retry; answers kept per lesson."""

import streamlit as st

import ui
from pipeline.quiz import choice_label, quiz_score

lesson = ui.lesson()
slug = lesson.slug
questions = lesson.content.quiz
answers: dict[int, int] = st.session_state.setdefault(f"quiz:{slug}", {})
attempt_key = f"quiz-attempt:{slug}"
attempt = st.session_state.setdefault(attempt_key, 0)


def record(index: int, widget_key: str) -> None:
    answers[index] = st.session_state[widget_key]


def retry() -> None:
    answers.clear()
    st.session_state[attempt_key] += 1  # fresh widget keys: every question starts unanswered


st.title("Quiz")
st.markdown("Pick an answer: you see straight away whether it is right, and why.")
for i, q in enumerate(questions):
    st.markdown(f"#### {i + 1}. {q.question}")
    key = f"quiz-{slug}-{attempt}-{i}"
    if i not in answers:
        st.radio(q.question, list(range(len(q.choices))), index=None, key=key, label_visibility="collapsed",
                 format_func=lambda c, q=q: choice_label(q, c), on_change=record, args=(i, key))
        continue
    st.markdown("  \n".join(ui.marked_choices(q, answers[i])))
    if answers[i] == q.answer:
        st.success(f"**Right.** {q.explanation}", icon=":material/check_circle:")
    else:
        st.error(f"**Not quite** -- the answer is {choice_label(q, q.answer)}. {q.explanation}",
                 icon=":material/cancel:")

correct, answered = quiz_score(questions, answers)
st.divider()
st.metric("Score", f"{correct} of {len(questions)}", f"{answered} of {len(questions)} answered", delta_color="off",
          delta_arrow="off")
if answered == len(questions):
    st.info("All done! " + ("A perfect score." if correct == len(questions) else
                            "Read the explanations above, then try again."), icon=":material/flag:")
st.button("Retry the quiz", on_click=retry, disabled=not answers, icon=":material/restart_alt:")
