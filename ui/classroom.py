"""A class session in the browser: joining, following the teacher, answering; the teacher's leading.

``follow(page_path)`` runs once per script run, from app.py before the sidebar (it may move the lesson
picker). A teacher's view -- lesson, model, input, stage -- goes to the class as soon as it changes
(:func:`on_view`, called by ``ui.state.sync_link`` from every run, the stepper's fragment included). A
learner who opened ``?class=CODE`` on any page gets the join dialog; once in, their page follows by push
(``ui.follow``): the server reruns the stage, the class bar or the page when the class moves. The class bar
is one compact line (code, name, follow toggle, the open question in a popover) so the stage stays on the
first screen; its fragment keeps a slow watchdog timer, re-armed at each of its runs, that catches up if a
push was ever missed. The teacher's board and the Class page's parts are in ``ui.class_board``.

Secrets stay out of links: the teacher's ``(code, secret)`` and a learner's token live in this session's
state, and the teacher's key also in a cookie of their own browser (:func:`keep_teacher_key`), so a reload
on that browser leads the class again without typing. ``ui.state.sync_link`` writes only the class code
a learner joined. A learner comes back after a reload with their rejoin code.
"""

from __future__ import annotations

import dataclasses
import json
import random
import secrets
import time
from typing import TYPE_CHECKING, Any

import streamlit as st

from pipeline import classroom as room
from pipeline.content.catalog import catalog
from ui import follow as push_follow
from ui import keys
from ui.state import VIEW_HOOKS, current_slug
from ui.widgets import RIGHT, WRONG, escape_markdown

if TYPE_CHECKING:
    from pipeline.lessons import LessonRun

POLL_SECONDS = 1.5  # the class bar's poll when the server cannot push (see ui.follow.available)
COLLIDED_SECONDS = 1.0  # a watchdog run this soon after a push has the hub push it again (see _class_bar)
WATCHDOG_SECONDS = 10.0  # with push: the bar's slow check, a little different per learner, in case a push was missed
TEACHER_KEY, MEMBER_KEY, FOLLOW_KEY = "class-teacher", "class-member", "class-follow"
SHOWN_KEY, PUSHED_KEY, WATCHDOG_KEY = "class-shown", "class-pushed", "class-watchdog"
RESTART_KEY = "class-watchdog-restart"  # which of two intervals the watchdog was last sent with (_restarted)
LENT_KEY, KEPT_KEY, NOTE_KEY, MINE_KEY = "class-lent", "class-kept", "class-note", "class-mine"
KEY_TO_KEEP, REJOIN_TO_KEEP, COOKIE_READ = "class-teacher-key", "class-rejoin-shown", "class-cookie-read"
FORGET_KEY, DEVICE_KEY = "class-forget-key", "class-device"
COOKIE = "pipeline_trace_teacher"  # the teacher key, kept by the teacher's own browser (never in a link)
PREDICTION = "pages/prediction.py"
LETTERS = "ABCDEFGH"
_throttle = room.JoinThrottle()


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
    if state.pop(FORGET_KEY, False):
        keep_teacher_key(None)
    elif TEACHER_KEY not in state and MEMBER_KEY not in state:
        _resume_from_cookie()
    if TEACHER_KEY in state:
        code, secret = state[TEACHER_KEY]
        push(code, secret)
        if page_path != "class_session":
            st.caption(f"Leading class **{code}** (join with `?class={code}`): learners who follow see this view.")
    elif MEMBER_KEY in state:
        _take_part(page_path)
    elif state.get(keys.CLASS_CODE):
        _offer_to_join(state[keys.CLASS_CODE])


def on_view(page_path: str) -> None:
    """From every run that may move the view (``ui.state.sync_link``): the teacher's move goes out at once; a
    following learner's stage fragment, pushed by the hub, moves to the class's stage."""
    state = st.session_state
    if TEACHER_KEY in state:
        push(*state[TEACHER_KEY])
    elif MEMBER_KEY in state and state.get(FOLLOW_KEY) and page_path == "prediction":
        _follow_stage(state[MEMBER_KEY].code)


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
        else:
            moved()
    if not _showing(slug, view[1]):
        lend(slug, view[1])  # the teacher's pages show the model the class sees


def moved() -> None:
    """A move or a question in this process: its learners hear of it now, not at the watch's next look."""
    if push_follow.available():
        push_follow.hub(engine()).moved_here()


def _session_id() -> str | None:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else None


def _fragment_id() -> str:
    """The fragment this code runs in (in a full run too), or ""."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import ThreadState

    return ThreadState.get().fragment_id or ""


def _hub() -> push_follow.Hub | None:
    return push_follow.hub(engine()) if push_follow.available() and _session_id() else None


def _take_part(page_path: str) -> None:
    """A learner's full run: who they are, the class's view (when following), then the class bar."""
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
    if view.state.question is not None and view.my_choice is not None:
        state.setdefault(MINE_KEY, {})[view.state.question.id] = view.my_choice
    state[keys.CLASS_NOW] = view.state
    following = state.setdefault(FOLLOW_KEY, view.membership.following)
    if following:
        apply(view.state, page_path)
    hub = _hub()
    if hub is not None:
        old = hub.follower(_session_id() or "")
        hub.enter(push_follow.Follower(
            _session_id() or "", view.state.code, bool(following), page_path,
            push_follow.view_of(view.state) if following else None, None, view.state.version,
            old.stage_fragment if old is not None and old.page == page_path else ""), view.state, _app_session())
    seconds = state.setdefault(WATCHDOG_KEY, random.uniform(0.8, 1.2) * (
        WATCHDOG_SECONDS if hub is not None else POLL_SECONDS))
    st.fragment(_class_bar, run_every=seconds)(view.state, seconds)


def _app_session() -> Any:
    from streamlit.runtime import Runtime

    return Runtime.instance().get_app_session(_session_id() or "")


def _follow_stage(code: str) -> None:
    """In the stage fragment of a following learner: go to the class's stage (a move of the stage only);
    any other move reruns the page, whose full run applies it."""
    hub = _hub()
    latest = hub.latest(code) if hub is not None else None
    if latest is None or latest.ended:
        return
    state = st.session_state
    view = push_follow.view_of(latest)
    shown = state.get(SHOWN_KEY)
    if shown != view:
        entry = state.get(keys.stepper(latest.lesson))
        if shown is None or shown[:3] != view[:3] or entry is None or current_slug() != latest.lesson:
            if _fragment_id():  # in a fragment: the whole page applies the new lesson, model or input
                st.rerun()
            return
        entry[1].go(latest.stage)
        state[SHOWN_KEY] = view
    if hub is not None:
        hub.update(_session_id() or "", view=view, stage_fragment=_fragment_id() or "", page="prediction")
        f = hub.follower(_session_id() or "")
        if f is not None and f.bar_fragment and _in_fragment_rerun():
            _rearm(_restarted(state.get(WATCHDOG_KEY, WATCHDOG_SECONDS)), f.bar_fragment)  # counts from this push


def _class_bar(seen: room.ClassState, seconds: float) -> None:
    """The class bar, one line, in its own fragment: pushed when the question changes; its timer is the watchdog."""
    state = st.session_state
    member = membership()
    if member is None:
        return
    rerun_of_bar = bool(_fragment_id()) and _in_fragment_rerun()
    now = seen
    if rerun_of_bar:
        _rearm(seconds)
        hub = _hub()
        f = hub.follower(_session_id() or "") if hub is not None else None
        if f is not None and time.monotonic() - f.pushed_at < COLLIDED_SECONDS:
            # The browser asked for this run just as a pushed run ended: Streamlit may have dropped that run's
            # messages as coming from a "non-current ScriptRunner". The hub pushes the same parts again once this
            # run is over and its messages are out (a rerun from here could meet the same fate).
            hub.redraw(f.session_id)
        now = _class_now(member, seen)
        if now is None:
            st.rerun()  # ended, expired, deleted, or this learner removed: the page says which
        if state.get(FOLLOW_KEY) and state.get(SHOWN_KEY) != push_follow.view_of(now) \
                and (f is None or hub is None or not hub.pushing(member.code)):
            st.rerun()  # a move this page missed: the full run applies it (not while the hub's push is on its way)
    hub = _hub()
    if hub is not None:
        hub.update(_session_id() or "", bar_fragment=_fragment_id(), question=push_follow.question_of(now),
                   version=now.version)
    state[keys.CLASS_NOW] = now
    _bar(membership() or member, now)


def _in_fragment_rerun() -> bool:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def _restarted(seconds: float) -> float:
    """The watchdog's interval, a millisecond longer or shorter than the last one sent: the frontend keeps a timer
    it is sent again with the same interval, and starts it anew for another. Sent with each pushed stage, the
    watchdog then counts from the push: a learner just brought up to date does not ask again a moment later (at 200
    learners, a quarter of the runs while a move went out), and its question never meets the push's run."""
    flip = st.session_state[RESTART_KEY] = not st.session_state.get(RESTART_KEY, False)
    return seconds + (0.001 if flip else 0.0)


def _rearm(seconds: float, fragment: str = "") -> None:
    """Send the class bar's timer again (the frontend ignores it while it holds the same one): a timer lost with
    a dropped message comes back at the next run of the bar or of the stage."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx, fragment = get_script_run_ctx(), fragment or _fragment_id()
    if ctx is None or not fragment:
        return
    msg = ForwardMsg()
    msg.auto_rerun.interval, msg.auto_rerun.fragment_id = seconds, fragment
    ctx.enqueue(msg)


def _class_now(member: room.Membership, seen: room.ClassState) -> room.ClassState | None:
    """The class's state for the bar: the hub's (no query) unless a learner was renamed or removed meanwhile."""
    hub = _hub()
    latest = hub.latest(member.code) if hub is not None else None
    roster_moved = hub is not None and (f := hub.follower(_session_id() or "")) is not None \
        and f.version < hub._roster.get(member.code, 0)
    if latest is not None and not roster_moved:
        return None if latest.ended else latest
    try:
        view = room.learner_view(engine(), member.token)
    except room.ClassroomError:
        return None
    st.session_state[MEMBER_KEY] = dataclasses.replace(view.membership, rejoin_code=member.rejoin_code)
    return None if view.state.ended else view.state


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
    """Forget this session's class: membership, the class link, the lent models, its place in the hub."""
    release()
    for key in (MEMBER_KEY, keys.CLASS_CODE, SHOWN_KEY, FOLLOW_KEY, REJOIN_TO_KEEP, MINE_KEY, keys.CLASS_NOW):
        st.session_state.pop(key, None)
    hub = _hub()
    if hub is not None:
        hub.leave(_session_id() or "")


def joined(member: room.Membership) -> None:
    """Keep a new (or returning) membership in this session; the next run shows the class's view."""
    state = st.session_state
    state[MEMBER_KEY], state[keys.CLASS_CODE], state[FOLLOW_KEY] = member, member.code, member.following
    state[REJOIN_TO_KEEP] = False
    state.pop(SHOWN_KEY, None)


def _offer_to_join(code: str) -> None:
    """A class link was opened (on any page): the join dialog, for any code that can be one.

    Whether a class has this code is said only after Join (and throttled there): the dialog opening
    tells nothing about which codes exist."""
    try:
        code = room.normalize_code(code)
    except room.ClassroomError as e:
        st.session_state.pop(keys.CLASS_CODE, None)
        st.error(f"{escape_markdown(e)}. Check the code with your teacher.", icon=":material/link_off:")
        return
    _join_dialog(code)


@st.dialog("Join the class", dismissible=False)
def _join_dialog(code: str) -> None:
    """Pick a display name (or come back with a rejoin code)."""
    st.markdown(f"Class **{escape_markdown(code)}**. Choose the name your teacher will see (up to "
                f"{room.MAX_NAME} characters); other learners never see it.")
    name = st.text_input("Your name", key="class-name")  # no max_chars: a longer name is told so, not cut
    if st.button("Join", type="primary", key="class-join", icon=":material/login:"):
        _enter(code, lambda: room.join_class(engine(), code, name))
    with st.expander("Back after a reload? Use your rejoin code"):
        typed = st.text_input("Rejoin code", key="class-rejoin-code", placeholder="ABCD-EFGH")
        if st.button("Rejoin", key="class-rejoin", icon=":material/history:"):
            _enter(code, lambda: room.rejoin_class(engine(), code, typed), rejoin=True)
    if st.button("Not now", key="class-not-now", type="tertiary"):
        st.session_state.pop(keys.CLASS_CODE, None)
        st.rerun()


def client_address() -> str:
    """Who is asking, for the join limits: the address the connection came from (the last hop a reverse proxy
    added to X-Forwarded-For, when the connection is the proxy's own on this machine)."""
    address = st.context.ip_address or ""
    forwarded = st.context.headers.get("X-Forwarded-For", "")
    if forwarded and address in ("", "127.0.0.1", "::1"):
        return forwarded.split(",")[-1].strip()
    return address or "local"


def _enter(code: str, call: Any, rejoin: bool = False) -> None:
    try:
        device = st.session_state.setdefault(DEVICE_KEY, secrets.token_hex(8))  # this tab, whatever the runtime
        member = _throttle.join(device, client_address(), code, call, rejoin=rejoin)
    except room.ClassroomError as e:  # no such class, too many tries, a full class, an unusable name
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
    hub = _hub()
    if hub is not None:
        hub.update(_session_id() or "", following=on, view=None)


def _answer(question_id: int, widget: str) -> None:
    state = st.session_state
    member, choice = membership(), state.get(widget)
    if member is None or choice is None:
        return
    try:
        room.answer(engine(), member.token, question_id, choice)
    except room.ClassroomError as e:  # revealed meanwhile
        state[NOTE_KEY] = str(e)
        return
    state.setdefault(MINE_KEY, {})[question_id] = choice
    for other in (keys.class_answer(question_id), keys.class_guess(question_id)):
        if other != widget:
            state[other] = choice  # a guess is answerable in the bar and in place of its stage: both show the choice
    state[keys.CLASS_GUESSED] = widget == keys.class_guess(question_id)


def _bar(member: room.Membership, now: room.ClassState) -> None:
    """One line on top of every page: the class, who they are, following or not, the rejoin code until noted and
    the open question, both in popovers (buttons on that line: answerable by keyboard and on a phone, never
    pushing the stage down)."""
    state = st.session_state
    line = st.container(horizontal=True, vertical_alignment="center", gap="small", key="class-bar")
    line.markdown(f"**Class {member.code}** · {escape_markdown(member.display_name)}", width="content")
    line.toggle("Follow", key=FOLLOW_KEY, on_change=_set_following, persist_state="session",
                help="Follow the teacher. On: your lesson, input and stage move with the teacher's, with the "
                     "teacher's model. Off: step freely with your own model.")
    if not state.get(REJOIN_TO_KEEP) and member.rejoin_code:
        with line.popover("Rejoin code", icon=":material/key:", type="primary", key="class-rejoin-pop"):
            st.markdown(f"Your rejoin code is **{member.rejoin_code}**: note it. After a reload, open the class "
                        "link again and type it to come back as yourself, with your answers.")
            st.button("I noted it", key="class-noted", on_click=state.__setitem__, args=(REJOIN_TO_KEEP, True))
    q = now.question
    if q is not None:
        mine = state.get(MINE_KEY, {}).get(q.id)
        waiting = not q.revealed and mine is None
        label = ("Guess" if q.stage is not None else f"Question {q.position}") + (
            ": answer" if waiting else ": answer shown" if q.revealed else "")
        with line.popover(label, icon=":material/how_to_vote:" if q.stage is not None else ":material/quiz:",
                          type="primary" if waiting else "secondary", key=f"class-question-{q.id}-{q.revealed}"):
            _question(q, mine, keys.class_answer(q.id))
    if note := state.pop(NOTE_KEY, None):
        st.warning(escape_markdown(note), icon=":material/info:")


def asked(q: room.QuestionView) -> str:
    """How the class bar and the teacher's board name a question: "Question 2", or "Guess before stage 4"."""
    return f"Question {q.position}" if q.stage is None else f"Guess before stage {q.stage + 1}"


def _question(q: room.QuestionView, mine: int | None, widget: str) -> None:
    """The question, its choices as a radio (``widget``: its key) until the reveal, then the answer and the verdict."""
    st.markdown(f"**{asked(q)}.** {escape_markdown(q.text)}")
    labels = [f"{LETTERS[i]}. {escape_markdown(c)}" for i, c in enumerate(q.choices)]
    if not q.revealed:
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
    _verdict(q, mine)


def _verdict(q: room.QuestionView, mine: int | None) -> None:
    """Right, or not (with the answer), and the explanation: a revealed question as this learner answered it."""
    shown = escape_markdown(q.explanation or "")
    if mine is not None and mine == q.answer:
        st.success(f"**Right.** {shown}", icon=":material/check_circle:")
    else:
        verdict = "You did not answer." if mine is None else "Not quite."
        answer = f"{LETTERS[q.answer or 0]}. {escape_markdown(q.choices[q.answer or 0])}"
        st.error(f"**{verdict}** The answer is {answer}. {shown}", icon=":material/cancel:")


# -- the class's guess, on the Prediction page -------------------------------------------------------------------

def class_guess(slug: str, at: int) -> room.QuestionView | None:
    """The class's open guess about stage ``at`` (0-based) of ``slug`` on a learner's page -- hidden until the
    reveal (``hides``), then shown -- or None: for a teacher, outside a class, on another lesson or stage.

    Any learner on that lesson and stage has it, following or not: stepping away from the class does not peek."""
    member = membership()
    if member is None:
        return None
    hub = _hub()
    # The newer of the hub's (a pushed stage run reads no database) and what this page's full run or class bar read
    known = [s for s in (hub.latest(member.code) if hub is not None else None, st.session_state.get(keys.CLASS_NOW))
             if s is not None and s.code == member.code]
    now = max(known, key=lambda s: s.version, default=None)
    q = now.question if now is not None and now.lesson == slug else None
    return q if q is not None and q.stage == at else None


def guess_in_place(q: room.QuestionView) -> None:
    """In place of the stage the class is guessing: what is going on, and the question, answerable here."""
    st.info(f"**The class is guessing what stage {(q.stage or 0) + 1} will show.** Make your guess below: the stage "
            "appears when your teacher reveals the answer.", icon=":material/how_to_vote:")
    _question(q, st.session_state.get(MINE_KEY, {}).get(q.id), keys.class_guess(q.id))
    if st.session_state.pop(keys.CLASS_GUESSED, False) and _fragment_id():
        st.rerun()  # answered here, in the stage's fragment: the page, so that the class bar says it is in too


def with_verdict(q: room.QuestionView | None, controls: Any) -> Any:
    """A stage's widgets beside its picture (``controls``, or None) led by this learner's verdict on the class's
    revealed guess ``q`` about the stage (None: no guess, the widgets alone)."""
    if q is None or not q.revealed:
        return controls

    def both() -> None:
        _verdict(q, st.session_state.get(MINE_KEY, {}).get(q.id))
        if controls is not None:
            controls()

    return both


# -- the teacher's key, kept by their own browser ----------------------------------------------------------------

def keep_teacher_key(key: str | None, hours: float = 24.0) -> None:
    """Have this browser keep the teacher key in a cookie (None: forget it), so a reload leads the class again.

    Set from a script on the page: the key goes to the teacher's own browser only, as the session already
    holds it, and never into a link, the QR code or anything shown."""
    value = f"{COOKIE}={key}; max-age={int(hours * 3600)}" if key else f"{COOKIE}=; max-age=0"
    st.html(f"<script>document.cookie = {json.dumps(value + '; path=/; SameSite=Strict')};</script>",
            unsafe_allow_javascript=True, width="content")


def _resume_from_cookie() -> None:
    """Once per session: lead the class whose teacher key this browser kept (a reload, the same browser)."""
    state = st.session_state
    if state.get(COOKIE_READ):
        return
    state[COOKIE_READ] = True
    kept = st.context.cookies.get(COOKIE)
    if not kept:
        return
    try:
        code, secret = room.split_teacher_key(kept)
        room.roster(engine(), code, secret)  # proves the key
    except room.ClassroomError:  # the class was deleted or swept meanwhile: forget the key
        keep_teacher_key(None)
        return
    state[TEACHER_KEY] = (code, secret)
    state.pop(PUSHED_KEY, None)


VIEW_HOOKS.append(on_view)
