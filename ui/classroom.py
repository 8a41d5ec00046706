"""A class session in the browser: joining, following the teacher, answering; the teacher's leading.

``follow(page_path)`` runs once per script run, from app.py before the sidebar (it may move the lesson
picker). A teacher's view -- lesson, model, input, stage -- goes to the class when it changes. A learner
who opened ``?class=CODE`` gets the join dialog; once in, an empty fragment asks the database every
``POLL_SECONDS`` whether the class moved (``state_if_changed``: one one-row query) and reruns the page
only when it did. The teacher's board and the Class page's parts are in ``ui.class_board``.

Secrets stay in this session's state: the teacher's ``(code, secret)`` and a learner's token. Neither
ever goes into the link (``ui.state.sync_link`` writes only the class code a learner joined). A reload
starts a new session: the teacher resumes with the teacher key, a learner with their rejoin code.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import streamlit as st

from pipeline import classroom as room
from pipeline.content.catalog import catalog
from ui import keys
from ui.state import current_slug
from ui.widgets import RIGHT, WRONG, escape_markdown

if TYPE_CHECKING:
    from pipeline.lessons import LessonRun

POLL_SECONDS = 1.5  # a learner's page asks "did the class move?" this often (goal: a move shows within 3 s)
LEAD_SECONDS = 0.75  # the teacher's page looks for its own moves (in memory; the database only on a change)
TEACHER_KEY, MEMBER_KEY, FOLLOW_KEY = "class-teacher", "class-member", "class-follow"
SHOWN_KEY, PUSHED_KEY, FRESH_KEY = "class-shown", "class-pushed", "class-fresh"
LENT_KEY, KEPT_KEY, NOTE_KEY = "class-lent", "class-kept", "class-note"
KEY_TO_KEEP, REJOIN_TO_KEEP = "class-teacher-key", "class-rejoin-shown"
PREDICTION = "pages/prediction.py"
LETTERS = "ABCDEFGH"


def engine() -> Any:
    """The process's classroom database (``PIPELINE_TRACE_DB_URL``, else SQLite in the data folder)."""
    return room.engine_for()


def teaching() -> tuple[str, str] | None:
    """``(code, secret)`` when this session leads a class."""
    return st.session_state.get(TEACHER_KEY)


def membership() -> room.Membership | None:
    """This session's place in a class, when it joined one."""
    return st.session_state.get(MEMBER_KEY)


def model_key(slug: str) -> str:
    return keys.class_model(slug)


def follow(page_path: str) -> None:
    """Once per run, before the sidebar: lead (teacher), offer to join (a class link), or follow (learner)."""
    state = st.session_state
    if TEACHER_KEY in state:
        code, secret = state[TEACHER_KEY]
        push(code, secret)
        if page_path != "class_session":
            st.caption(f"Leading class **{code}** (join with `?class={code}`): learners who follow see this view.")
        _watch_teacher(code, secret)
    elif MEMBER_KEY in state:
        _take_part(page_path)
    elif state.get(keys.CLASS_CODE):
        _offer_to_join(state[keys.CLASS_CODE])


def push(code: str, secret: str) -> None:
    """Send the teacher's view to the class if it changed since the last push (the database is asked only then)."""
    state = st.session_state
    slug = current_slug()
    entry = state.get(keys.stepper(slug))
    view = (slug, state.get(model_key(slug), ""), state.get(keys.text(slug)) or "", entry[1].index if entry else 0)
    if state.get(PUSHED_KEY) != view:
        state[PUSHED_KEY] = view
        try:
            room.set_view(engine(), code, secret, lesson=view[0], run_key=view[1], text=view[2], stage=view[3])
        except room.ClassEnded:
            pass  # nothing to lead any more; the Class page says so
        except room.ClassroomError as e:  # an input too long to share, an expired or deleted class
            st.warning(f"The class did not follow this move: {escape_markdown(e)}", icon=":material/sync_problem:")
    if not _showing(slug, view[1]):
        lend(slug, view[1])  # the teacher's pages show the model the class sees


@st.fragment(run_every=LEAD_SECONDS)
def _watch_teacher(code: str, secret: str) -> None:
    """The teacher's moves inside the Prediction page's stepper fragment, which leave app.py alone."""
    push(code, secret)


def _take_part(page_path: str) -> None:
    """A learner's run: who they are, the class's view (when following), the open question, the poll."""
    state = st.session_state
    member: room.Membership = state[MEMBER_KEY]
    try:
        view = room.learner_view(engine(), member.token)
    except room.ClassroomError as e:  # removed by the teacher, class deleted or expired
        leave()
        st.error(escape_markdown(e), icon=":material/group_off:")
        return
    state[MEMBER_KEY] = dataclasses.replace(view.membership, rejoin_code=member.rejoin_code)
    if view.state.ended:
        leave()
        st.info(f"Class {view.state.code} has ended. Thank you! Your pages use your own model again.",
                icon=":material/waving_hand:")
        return
    if state.setdefault(FOLLOW_KEY, view.membership.following):
        apply(view.state, page_path)
    _learner_bar(view)
    state[FRESH_KEY] = True  # this run just read the class: the poll's inline run need not ask again
    _poll(view.state.code, view.state.version)


@st.fragment(run_every=POLL_SECONDS)
def _poll(code: str, version: int) -> None:
    """Has the class moved past ``version``? One one-row query; the whole page reruns only when it has."""
    if st.session_state.pop(FRESH_KEY, False):
        return
    try:
        changed = room.state_if_changed(engine(), code, version) is not None
    except room.ClassroomError:
        changed = True  # expired or deleted: the full run says so
    if changed:
        st.rerun()


def apply(state_now: room.ClassState, page_path: str) -> None:
    """Move this session to the class's view -- lesson, model, input, stage -- on the Prediction page."""
    state = st.session_state
    view = (state_now.lesson, state_now.run_key, state_now.text, state_now.stage)
    slug = state_now.lesson
    if slug not in catalog():
        st.warning(f"The class is on a lesson this server does not have ({escape_markdown(slug)}).")
        return
    if state.get(SHOWN_KEY) == view:
        if not _showing(slug, state_now.run_key):
            lend(slug, state_now.run_key)  # a model trained meanwhile waits until they stop following
        return
    state[SHOWN_KEY] = view
    state[keys.LESSON] = slug
    if state_now.text:
        state[keys.text(slug)] = state_now.text
    else:  # the teacher has not typed yet: the model's first held-out example, as on their screen
        state.pop(keys.text(slug), None)
    state.pop(keys.stepper(slug), None)
    state[keys.LINK_STEP] = state_now.stage + 1
    lend(slug, state_now.run_key)
    if page_path != "prediction":
        st.switch_page(PREDICTION)


def showing_class_model(slug: str) -> bool:
    """Whether this session's pages show the class's model of ``slug`` in place of its own."""
    entry = st.session_state.get(LENT_KEY, {}).get(slug)
    return entry is not None and entry[1] is not None and st.session_state.get(keys.own_run(slug)) is entry[1]


def _showing(slug: str, run_key: str) -> bool:
    """Whether this session's pages already show the class's model ``run_key`` of ``slug``."""
    entry = st.session_state.get(LENT_KEY, {}).get(slug)
    return entry is not None and entry[0] == run_key and st.session_state.get(keys.own_run(slug)) is entry[1]


def lend(slug: str, run_key: str) -> None:
    """Show the class's model on this session's pages; the session's own run waits aside until :func:`release`."""
    state = st.session_state
    lent, kept = state.setdefault(LENT_KEY, {}), state.setdefault(KEPT_KEY, {})
    own = state.get(keys.own_run(slug))
    if own is not None and (slug not in lent or own is not lent[slug][1]):
        kept[slug] = own
    run = class_run(slug, run_key) if run_key else None
    if run is None:
        state.pop(keys.own_run(slug), None)
    else:
        state[keys.own_run(slug)] = run
    lent[slug] = (run_key, run)


def release() -> None:
    """Give the session its own runs back (it stopped following, left, or the class ended)."""
    state = st.session_state
    lent, kept = state.pop(LENT_KEY, {}), state.pop(KEPT_KEY, {})
    for slug, (_, run) in lent.items():
        now = state.get(keys.own_run(slug))
        if now is run or now is None:  # else they trained a new model meanwhile: that one stays
            if slug in kept:
                state[keys.own_run(slug)] = kept[slug]
            else:
                state.pop(keys.own_run(slug), None)


def own_model(slug: str) -> LessonRun | None:
    """The session's own run of ``slug``, even while the class's model is shown in its place."""
    state = st.session_state
    entry, now = state.get(LENT_KEY, {}).get(slug), state.get(keys.own_run(slug))
    return state.get(KEPT_KEY, {}).get(slug) if entry is not None and now is entry[1] else now


def class_run(slug: str, run_key: str) -> LessonRun | None:
    """The teacher's run, loaded once per server from the run cache; None (with a note) when it cannot be."""
    # torch and the lessons only when a class's model is lent, never for a page that merely shows the class
    from pipeline.lessons import get_lesson
    from pipeline.runs.cache import RunFileError, shared_cache

    try:
        run = shared_cache().by_key(run_key, get_lesson(slug))
    except RunFileError as e:
        st.warning(f"The teacher's model cannot be loaded ({escape_markdown(e)}): showing the lesson's model.")
        return None
    if run is None:
        st.warning("The teacher's model is no longer on this server: showing the lesson's model.")
    return run


def leave() -> None:
    """Forget this session's class: membership, the class link, the lent models."""
    release()
    for key in (MEMBER_KEY, keys.CLASS_CODE, SHOWN_KEY, FOLLOW_KEY, REJOIN_TO_KEEP):
        st.session_state.pop(key, None)


def joined(member: room.Membership) -> None:
    """Keep a new (or returning) membership in this session; the next run shows the class's view."""
    state = st.session_state
    state[MEMBER_KEY], state[keys.CLASS_CODE], state[FOLLOW_KEY] = member, member.code, member.following
    state[REJOIN_TO_KEEP] = False
    state.pop(SHOWN_KEY, None)


def _offer_to_join(code: str) -> None:
    """A class link was opened: say what is wrong with it, or open the join dialog."""
    try:
        if room.class_state(engine(), code).ended:  # refuses unknown, malformed and expired codes
            raise room.ClassEnded(f"class {code} has ended")
    except room.ClassroomError as e:
        st.session_state.pop(keys.CLASS_CODE, None)
        st.error(f"{escape_markdown(e)}. Check the code with your teacher.", icon=":material/link_off:")
        return
    _join_dialog(code)


@st.dialog("Join the class", dismissible=False)
def _join_dialog(code: str) -> None:
    """Pick a display name (or come back with a rejoin code)."""
    st.markdown(f"Class **{escape_markdown(code)}**. Choose the name your teacher will see (up to 40 characters); "
                "other learners never see it.")
    name = st.text_input("Your name", key="class-name", max_chars=60)
    if st.button("Join", type="primary", key="class-join", icon=":material/login:"):
        _enter(lambda: room.join_class(engine(), code, name))
    with st.expander("Back after a reload? Use your rejoin code"):
        typed = st.text_input("Rejoin code", key="class-rejoin-code", placeholder="ABCD-EFGH", max_chars=20)
        if st.button("Rejoin", key="class-rejoin", icon=":material/history:"):
            _enter(lambda: room.rejoin_class(engine(), code, typed))
    if st.button("Not now", key="class-not-now", type="tertiary"):
        st.session_state.pop(keys.CLASS_CODE, None)
        st.rerun()


def _enter(call: Any) -> None:
    try:
        member = call()
    except room.ClassroomError as e:  # a full class, an unusable name, a wrong rejoin code
        st.error(escape_markdown(e), icon=":material/error:")
        return
    joined(member)
    st.rerun()


def _set_following() -> None:
    member, on = membership(), bool(st.session_state.get(FOLLOW_KEY))
    if member is None:
        return
    try:
        room.set_following(engine(), member.token, on)
    except room.ClassroomError as e:
        st.session_state[NOTE_KEY] = str(e)
    if on:
        st.session_state.pop(SHOWN_KEY, None)  # catch up with the teacher at once
    else:
        release()


def _answer(question_id: int, widget: str) -> None:
    member, choice = membership(), st.session_state.get(widget)
    if member is None or choice is None:
        return
    try:
        room.answer(engine(), member.token, question_id, choice)
    except room.ClassroomError as e:  # revealed meanwhile
        st.session_state[NOTE_KEY] = str(e)


def _learner_bar(view: room.LearnerView) -> None:
    """Top of every page: the class, the follow toggle, the rejoin code once, and the open question."""
    state, member = st.session_state, st.session_state[MEMBER_KEY]
    with st.container(border=True, key="class-bar"):
        left, right = st.columns([3, 2], vertical_alignment="center")
        left.markdown(f"**Class {member.code}** · you are **{escape_markdown(member.display_name)}**")
        right.toggle("Follow the teacher", key=FOLLOW_KEY, on_change=_set_following, persist_state="session",
                     help="On: your lesson, input and stage move with the teacher's, with the teacher's model. "
                          "Off: step freely with your own model.")
        if note := state.pop(NOTE_KEY, None):
            st.warning(escape_markdown(note), icon=":material/info:")
        if not state.get(REJOIN_TO_KEEP) and member.rejoin_code:
            st.info(f"Your rejoin code is **{member.rejoin_code}**: note it. If this page reloads, open the class "
                    "link again and type it to come back as yourself.", icon=":material/key:")
            st.button("I noted it", key="class-noted", on_click=state.__setitem__, args=(REJOIN_TO_KEEP, True))
        if view.state.question is not None:
            _question(view.state.question, view.my_choice, view.correct)


def _question(q: room.QuestionView, mine: int | None, correct: bool | None) -> None:
    st.markdown(f"**Question {q.position}.** {escape_markdown(q.text)}")
    labels = [f"{LETTERS[i]}. {escape_markdown(c)}" for i, c in enumerate(q.choices)]
    if not q.revealed:
        widget = f"class-answer-{q.id}"
        if widget not in st.session_state and mine is not None:
            st.session_state[widget] = mine  # back after a rejoin: their answer is still in
        st.radio(q.text, list(range(len(q.choices))), index=None, key=widget, format_func=labels.__getitem__,
                 label_visibility="collapsed", on_change=_answer, args=(q.id, widget))
        if mine is not None:
            st.caption(f"Your answer ({LETTERS[mine]}) is in. You can change it until the teacher reveals it.")
        return
    lines = [f"{RIGHT if i == q.answer else WRONG if i == mine else ':gray[:material/circle:]'} {label}"
             + (" · your answer" if i == mine else "") for i, label in enumerate(labels)]
    st.markdown("  \n".join(lines))
    shown = escape_markdown(q.explanation or "")
    if correct:
        st.success(f"**Right.** {shown}", icon=":material/check_circle:")
    else:
        verdict = "You did not answer." if mine is None else "Not quite."
        st.error(f"**{verdict}** The answer is {labels[q.answer or 0]}. {shown}", icon=":material/cancel:")
