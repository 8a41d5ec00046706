"""The Class page's parts: start, resume or join a class; the teacher's board; a learner's card.

The teacher's board is made for a projector: the code, the join link and its QR code first, then the
open question with a bar per choice that fills as answers arrive (a fragment, every ``BOARD_SECONDS``). A question
can be a guess: asked about the stage the class is on before learners see it, that stage hidden on their pages
until the reveal.
The roster (names) stays folded away and the teacher key is shown only when asked for, so projecting the
board shows neither. The join link carries the address the teacher's browser uses (or
``PIPELINE_TRACE_PUBLIC_URL``), with a warning when that is this computer's own address.
"""

from __future__ import annotations

import ipaddress
import os
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import streamlit as st

from pipeline import classroom as room
from pipeline.classroom.credentials import normalize_code, split_teacher_key, teacher_key
from pipeline.content.catalog import catalog
from ui import classroom as lead
from ui import keys
from ui.state import _url, current_slug
from ui.widgets import RIGHT, escape_markdown, table

if TYPE_CHECKING:
    from pipeline.content.lesson import Question

PUBLIC_URL_ENV = "PIPELINE_TRACE_PUBLIC_URL"  # e.g. https://trace.example-school.org: what phones open
EXPORT_BEFORE = timedelta(minutes=30)  # the board warns this long before the class and its answers are deleted
BOARD_SECONDS = 2.0  # the teacher's distribution and roster refresh this often
QR_PIXELS = 230  # the QR code's side on the teacher's screen: big enough to scan from the back of a room
SOURCES = {"written": "The lesson's questions", "generated": "About the class's model", "typed": "Type one"}
UPLOADED = ("Your model cannot be shared: it was trained on your own data file (or stopped early), and the "
            "learners' pages cannot rebuild it without that file, which stays in your session. Train it on the "
            "lesson's built-in data to share it.")


def start_or_join() -> None:
    """Not in a class yet: start one (teacher), take one back with the teacher key, or type a class code."""
    st.subheader("Teach a class", anchor=False)
    title = catalog()[current_slug()].title
    st.markdown(f"Start a class on **{escape_markdown(title)}** (the lesson picked in the sidebar). Learners join "
                "with a code or a QR code; their pages follow yours.")
    if st.button("Start a class", type="primary", key="class-start", icon=":material/co_present:"):
        _start()
    with st.expander("Resume teaching with your teacher key"):
        typed = st.text_input("Teacher key", type="password", key="class-resume-key")
        if st.button("Resume", key="class-resume", icon=":material/key:"):
            _resume(typed)
    st.subheader("Join a class", anchor=False)
    code = st.text_input("Class code", key="class-typed-code", max_chars=12, placeholder="K7QX2M")
    if st.button("Join", key="class-join-code", icon=":material/login:"):
        try:
            st.session_state[keys.CLASS_CODE] = normalize_code(code)
        except room.ClassroomError as e:
            st.error(escape_markdown(e), icon=":material/error:")
            return
        st.rerun()


def _start() -> None:
    state, slug = st.session_state, current_slug()
    try:
        info, secret = room.start_class(lead.engine(), slug, run_key=state.get(lead.model_key(slug), ""),
                                        text=state.get(keys.text(slug)) or "")
    except room.ClassroomError as e:
        st.error(escape_markdown(e), icon=":material/error:")
        return
    lead.leave()  # a teacher is not also a learner in this session
    state[lead.TEACHER_KEY], state[lead.KEY_TO_KEEP] = (info.code, secret), True
    state.pop(lead.PUSHED_KEY, None)
    st.rerun()


def _resume(typed: str) -> None:
    try:
        code, secret = split_teacher_key(typed)
        room.roster(lead.engine(), code, secret)  # proves the key
    except room.ClassroomError as e:
        st.error(escape_markdown(e), icon=":material/error:")
        return
    lead.leave()
    st.session_state[lead.TEACHER_KEY], st.session_state[lead.KEY_TO_KEEP] = (code, secret), True
    st.session_state.pop(lead.PUSHED_KEY, None)
    st.session_state.pop("class-resume-key", None)
    st.rerun()


def stop_teaching() -> None:
    """Forget the teacher's secret in this session and this browser (the class goes on; the key brings it back)."""
    lead.release()
    for key in (lead.TEACHER_KEY, lead.KEY_TO_KEEP, lead.PUSHED_KEY):
        st.session_state.pop(key, None)
    st.session_state[lead.FORGET_KEY] = True  # the next run tells the browser (a callback cannot draw)


def teacher_board() -> None:
    """The teacher's page: how to join, what the class sees, questions, answers, the roster and the controls."""
    code, secret = lead.teaching() or ("", "")
    if st.session_state.pop(lead.KEY_TO_KEEP, False):  # just started or resumed: this browser keeps the key
        lead.keep_teacher_key(teacher_key(code, secret))
    try:
        now = room.class_state(lead.engine(), code)
    except room.ClassroomError as e:  # deleted elsewhere, or expired
        st.error(escape_markdown(e), icon=":material/error:")
        st.button("Forget this class", key="class-forget", on_click=stop_teaching)
        return
    _join_panel(code, now)
    _board(code, secret)
    _key_on_request(code, secret)
    if not now.ended:
        _what_they_see(now)
        _ask(code, secret, now)
    _manage(code, secret, now.ended)


def join_link(code: str) -> str:
    """The link learners open: ``PIPELINE_TRACE_PUBLIC_URL`` if set, else the address this browser uses."""
    base = os.environ.get(PUBLIC_URL_ENV, "").strip().rstrip("/")
    if base.startswith(("http://", "https://")):
        return f"{base}/?class={code}"
    return _url("", {"class": code})


def loopback(link: str) -> bool:
    """Whether ``link`` points at the computer it is opened on (127.0.0.1, localhost, ::1): no phone reaches it."""
    host = urlsplit(link).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def _join_panel(code: str, now: room.ClassState) -> None:
    link = join_link(code)
    words, picture = st.columns([3, 2], vertical_alignment="center")
    words.markdown(f"# Class code **{code}**")
    if now.ended:
        words.warning("This class has ended: no more joins or answers. The results stay until you delete them.")
    else:
        words.markdown("Scan the QR code, or open the link and type the code. Pick any name: only the teacher "
                       "sees it.")
    words.code(link, language=None, wrap_lines=True)
    if loopback(link):
        words.warning(f"Phones cannot open this link: {urlsplit(link).hostname} is this computer's own address. "
                      "Open the app by its address on the school's network (or its name), or have the server "
                      f"started with {PUBLIC_URL_ENV} set (see the README: Deploying for a class).",
                      icon=":material/wifi_off:")
    words.caption(f"Open until {now.expires_at:%H:%M} UTC; then the server deletes everything about it (names "
                  "and answers): download the results before.")
    if room_left(now) <= EXPORT_BEFORE:
        words.warning(f"This class and its answers are deleted at {now.expires_at:%H:%M} UTC: download the results "
                      "(Manage the class) before then.", icon=":material/timer:")
    if link.startswith(("http://", "https://")):
        modules = int(room.qr_svg(link, scale=1).split('width="', 1)[1].split('"', 1)[0])
        picture.image(room.qr_svg(link, scale=max(2, QR_PIXELS // modules)), caption=f"Join class {code}")


def room_left(now: room.ClassState) -> timedelta:
    from pipeline.classroom.access import utc  # SQLAlchemy: only the Class page's board needs it, not a first paint

    return now.expires_at - utc()


def _key_on_request(code: str, secret: str) -> None:
    """The teacher key, for leading from another device: shown only when asked for, in this run only."""
    with st.expander("Lead from another device: your teacher key", icon=":material/key:"):
        st.markdown("This browser keeps the class: a reload leads it again. On another device, type the teacher "
                    "key on the Class page. It gives control of this class: keep it like a password, and show it "
                    "on your own screen, not the projector. It is never in a link.")
        if st.button("Show the teacher key", key="class-show-key", icon=":material/visibility:"):
            st.code(teacher_key(code, secret), language=None)


def _what_they_see(now: room.ClassState) -> None:
    slug = current_slug()
    text = now.text or "the model's first held-out example"
    title = catalog()[now.lesson].title if now.lesson in catalog() else now.lesson
    st.markdown(f"**The class sees** {escape_markdown(title)} · stage {now.stage + 1} · input "
                f"“{escape_markdown(text[:80])}”")
    st.page_link("pages/prediction.py", label="Lead from the Prediction page: learners follow your input and "
                 "stage", icon=":material/footprint:")
    mine = bool(st.session_state.get(lead.model_key(slug)))
    choice = st.radio("Model", ["lesson", "mine"], index=int(mine), horizontal=True, key=keys.class_model_pick(slug),
                      format_func={"lesson": "The lesson's model", "mine": "My model (Training page)"}.get,
                      help="Learners who follow load this model. Your own pages show it too while you teach.")
    if (choice == "mine") != mine:
        key, problem = _shareable(slug) if choice == "mine" else ("", None)
        if problem:
            st.error(problem, icon=":material/block:")
        st.session_state[lead.model_key(slug)] = key
        lead.push(*(lead.teaching() or ("", "")))


def _shareable(slug: str) -> tuple[str, str | None]:
    """The run key of the teacher's own model, or the reason it cannot go to the class."""
    own = lead.own_model(slug)
    if own is None:
        return "", "You have no model of this lesson yet: train one on the Training page."
    # torch and the lessons: the Class page paints before a teacher shares a model
    from pipeline.lessons import get_lesson
    from pipeline.runs.cache import RunFileError, probes_of, run_key, shared_cache, weights_equal

    lesson = get_lesson(slug)
    key = run_key(lesson, own.settings, None, probes_of(own))
    try:
        found = shared_cache().by_key(key, lesson) if own.complete else None
    except RunFileError:
        found = None
    if found is None or (found is not own and not weights_equal(found.model, own.model)):
        return "", UPLOADED
    return key, None


def _ask(code: str, secret: str, now: room.ClassState) -> None:
    slug = now.lesson
    st.subheader("Ask the class", anchor=False)
    with st.container(border=True, key="class-guess-box"):  # the guess, apart from the quiz's questions below
        _ask_guess(code, secret, now)
    source = st.segmented_control("Question from", list(SOURCES), format_func=SOURCES.get, key="class-ask-from",
                                  default="written", label_visibility="collapsed") or "written"
    if source == "typed":
        _typed(code, secret)
        return
    questions = list(catalog()[slug].quiz) if source == "written" else _generated(slug)
    if not questions:
        st.caption("No questions here for this lesson.")
        return
    pick = st.selectbox("Question", range(len(questions)), key=keys.class_pick(source, slug),
                        format_func=lambda i: questions[i].question)
    if st.button("Ask the class", type="primary", key=f"class-ask:{source}", icon=":material/campaign:"):
        q = questions[min(pick or 0, len(questions) - 1)]
        _open(code, secret, q.question, q.choices, q.answer, q.explanation, source)


def _ask_guess(code: str, secret: str, now: room.ClassState) -> None:
    """Predict, then reveal, as a class: the question about the stage the class is on, asked before it is shown."""
    found = _stage_guess(now)
    if found is None:
        st.caption(f"Stage {now.stage + 1} has nothing to guess: step to another stage on the Prediction page to "
                   "have the class guess what it will show before they see it.")
        return
    title, q = found
    st.markdown(f"**Guess before stage {now.stage + 1}** (“{escape_markdown(title)}”): {escape_markdown(q.question)}")
    open_q = now.question
    guessing = open_q is not None and open_q.hides == now.stage and open_q.text == q.question
    if st.button("Ask the class to guess this stage", type="primary", key="class-ask-guess", disabled=guessing,
                 icon=":material/how_to_vote:", help="Learners' pages keep this stage hidden and ask the question in "
                 "its place; their guesses gather above; Reveal shows them the answer and the stage."):
        try:
            room.open_guess(lead.engine(), code, secret, q.question, q.choices, q.answer, q.explanation)
        except room.ClassroomError as e:
            st.error(escape_markdown(str(e)), icon=":material/error:")
            return
        lead.moved()
        st.rerun()  # the board above shows the guess at once
    if guessing:
        st.caption("The class is guessing this stage now: reveal the answer above to show it.")


def _prediction(slug: str, text: str) -> tuple:
    """(lesson, run, input, prediction): the teacher's own prediction of ``text`` (the model's first held-out example
    when empty or unusable) with the model the class sees (the teacher's pages show it: ``lead.push`` lends it)."""
    # the lesson's model (torch) only when a teacher asks questions about it
    from ui.runs import lesson, predict, run_to_use

    current = lesson()
    run, _ = run_to_use(slug)
    text = text or (run.examples[0][0] if run.examples else "")
    try:
        return current, run, text, predict(current, run, text)
    except ValueError:
        return current, run, run.examples[0][0], predict(current, run, run.examples[0][0])


def _generated(slug: str) -> list:
    """Questions answered from the class's model's trace (the teacher's pages show that model)."""
    from pipeline.app.quiz import generated_questions  # with the lesson's model, only when asked for

    current, run, _, prediction = _prediction(slug, st.session_state.get(keys.text(slug)) or "")
    return generated_questions(current.document(run, prediction))


def _stage_guess(now: room.ClassState) -> tuple[str, Question] | None:
    """(the stage's title, the question to guess it by) for the class's current stage, as on the teacher's
    Prediction page; None when that stage has nothing to guess or the teacher's pages are on another lesson."""
    from pipeline.app.quiz import guess_question  # with the lesson's model, only on a teacher's board

    if now.lesson != current_slug():
        return None
    _, _, text, prediction = _prediction(now.lesson, now.text)
    screens = prediction.screens()
    if not 0 <= now.stage < len(screens):
        return None
    q = guess_question(screens[now.stage], seed=text)
    return None if q is None else (screens[now.stage].title, q)


def _typed(code: str, secret: str) -> None:
    with st.form("class-typed", border=True):
        question = st.text_area("Question", key="class-typed-question", max_chars=500, height=80)
        choices = st.text_area("Choices, one per line (2 to 6)", key="class-typed-choices", height=120)
        right = st.number_input("The right choice (1 for the first line)", 1, 6, 1, key="class-typed-right")
        explanation = st.text_area("Explanation, shown with the answer", key="class-typed-explanation",
                                   max_chars=2000, height=80)
        sent = st.form_submit_button("Ask the class", type="primary", icon=":material/campaign:")
    if sent:
        try:
            options = room.typed_choices(choices)
        except room.ClassroomError as e:
            st.error(escape_markdown(e), icon=":material/error:")
            return
        _open(code, secret, question, options, int(right) - 1, explanation, "teacher")


def _open(code: str, secret: str, question: str, choices, answer: int, explanation: str, source: str) -> None:
    try:
        room.open_question(lead.engine(), code, secret, question, list(choices), answer, explanation,
                           room.QuestionSource(source if source != "typed" else "teacher"))
    except room.ClassroomError as e:
        st.error(escape_markdown(e), icon=":material/error:")
        return
    st.rerun()  # the board above shows the new question at once


@st.fragment(run_every=BOARD_SECONDS)
def _board(code: str, secret: str) -> None:
    """The open question's answers as they arrive, the reveal, and the roster (folded: names are not projected)."""
    engine = lead.engine()
    try:
        now, people = room.class_state(engine, code), room.roster(engine, code, secret)
    except room.ClassroomError:
        return
    q = now.question
    if q is not None:
        tally = room.distribution(engine, code, secret, q.id)
        st.markdown(f"### {lead.asked(q)}: {escape_markdown(q.text)}" if q.stage is not None else
                    f"### Question {q.position}. {escape_markdown(q.text)}")
        if q.hides is not None:
            st.caption(f"Learners' pages keep stage {q.hides + 1} hidden, with this question in its place, until you "
                       "reveal the answer.")
        st.markdown(f"**{tally.answered} of {tally.learners} answered**")
        for i, (choice, n) in enumerate(zip(q.choices, tally.counts, strict=True)):
            mark = f"{RIGHT} " if q.revealed and i == q.answer else ""
            label = f"{mark}{lead.LETTERS[i]}. {escape_markdown(choice)} · **{n}**"
            st.progress(n / max(tally.answered, 1), text=label)
        if q.revealed:
            st.success(escape_markdown(q.explanation or "Answer shown to the class."), icon=":material/lightbulb:")
        elif not now.ended:
            st.button("Reveal the answer" if q.stage is None else f"Reveal the answer and stage {q.stage + 1}",
                      key="class-reveal", type="primary", icon=":material/visibility:", on_click=_reveal,
                      args=(code, secret, q.id))
    with st.expander("Roster: who joined, who follows, who answered", icon=":material/groups:"):
        st.caption(f"{len(people)} learner(s). Only you see these names.")
        if people:
            table([{"Name": p.display_name, "Following": "yes" if p.following else "no",
                    "Answered": "yes" if p.answered else "—"} for p in people])


def _reveal(code: str, secret: str, question_id: int) -> None:
    try:
        room.reveal(lead.engine(), code, secret, question_id)
    except room.ClassroomError as e:  # ended meanwhile
        st.toast(escape_markdown(e), icon=":material/error:")


def _manage(code: str, secret: str, ended: bool) -> None:
    engine = lead.engine()
    with st.expander("Manage the class: rename, remove, results, end, delete", icon=":material/settings:"):
        people = {p.learner_id: p.display_name for p in room.roster(engine, code, secret)}
        if people:
            who = st.selectbox("Learner", list(people), key="class-who", format_func=people.get)
            name, rename, sure, remove = st.columns([3, 1, 2, 1], vertical_alignment="bottom")
            new = name.text_input("New display name", key="class-new-name", max_chars=60)
            if rename.button("Rename", key="class-rename", disabled=ended):
                _try(room.rename_learner, engine, code, secret, who, new)
            confirmed = sure.checkbox("Yes, remove them", key="class-remove-sure")
            if remove.button("Remove", key="class-remove", disabled=not confirmed):
                _try(room.remove_learner, engine, code, secret, who)
        st.download_button("Download the results (CSV)", lambda: room.results_csv(engine, code, secret),
                           file_name=f"class-{code}-results.csv", mime="text/csv", key="class-csv",
                           icon=":material/download:", on_click="ignore")
        st.caption("The file holds every learner's display name with their answers: keep it as you keep marks.")
        st.divider()
        done = st.checkbox("I have downloaded what I need", key="class-end-sure")
        end, delete, forget = st.columns(3)
        if end.button("End the class", key="class-end", disabled=not done or ended, icon=":material/stop_circle:"):
            _try(room.end_class, engine, code, secret)
        if delete.button("Delete the class and its data", key="class-delete", disabled=not done,
                         icon=":material/delete_forever:"):
            _try(room.delete_class, engine, code, secret)
            stop_teaching()
            st.rerun()
        forget.button("Stop leading on this device", key="class-stop", on_click=stop_teaching,
                      help="The class goes on; your teacher key takes it back.")


def _try(call, *args) -> None:
    try:
        call(*args)
    except room.ClassroomError as e:
        st.error(escape_markdown(e), icon=":material/error:")
        return
    st.rerun()


def learner_card() -> None:
    """A learner's Class page: who they are, their rejoin code, and the way out."""
    member = lead.membership()
    if member is None:
        return
    st.markdown(f"You are in class **{member.code}** as **{escape_markdown(member.display_name)}**. Only your "
                "teacher sees your name.")
    if member.rejoin_code:
        st.markdown("If this page reloads, open the class link again and type your rejoin code to come back as "
                    "yourself, with your answers:")
        st.code(member.rejoin_code, language=None)
    if st.button("Leave the class", key="class-leave", icon=":material/logout:"):
        lead.leave()
        st.rerun()
