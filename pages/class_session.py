"""Class: a teacher starts a class and leads it; learners join with a code, follow the teacher and answer."""

import streamlit as st

import ui

ui.state.ensure_router()  # opened first on a fresh server (/class_session?class=CODE): run under app.py's router
teacher, member = ui.classroom.teaching(), ui.classroom.membership()
if not teacher and not ui.presenting():
    st.title("Class")  # the teacher's board opens with the class code instead: more of it fits on a projector
if teacher:
    ui.class_board.teacher_board()
elif member:
    ui.class_board.learner_card()
else:
    ui.class_board.start_or_join()
