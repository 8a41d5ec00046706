"""Class page: a teacher leads, learners join and follow, answers gather; secrets stay in their sessions.

Each AppTest is one browser session on the same database. AppTest does not fire fragment timers: a
learner's "next poll" is a rerun of their session.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app_helpers import cells, markdown_tables, plain, table_with
from streamlit.testing.v1 import AppTest

from pipeline import classroom as room
from pipeline.app.default_run import default_run
from pipeline.lessons import get_lesson
from ui.widgets import JOINER, escape_markdown

APP = str(Path(__file__).resolve().parents[2] / "app.py")
SLUG = "sequence-classification"
HOSTILE = ["<img src=x onerror=alert(1)>", "**x** [a](javascript:alert(1))", "\u202eevil\u202c name"]


def session(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    return at.run()


def teacher() -> AppTest:
    at = session()
    at.switch_page("pages/class_session.py").run()
    at.button(key="class-start").click().run()
    assert not at.exception, at.exception
    return at


def learner(code: str, name: str) -> AppTest:
    at = session(**{"class": code})
    at.text_input(key="class-name").input(name).run()
    at.button(key="class-join").click().run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> list[str]:
    """Every text on the page as the browser shows it (escapes and the invisible joiners that keep links from
    forming taken out)."""
    return [plain(e.value).replace(JOINER, "") for kind in ("markdown", "error", "info", "warning", "success",
                                                              "caption") for e in getattr(at, kind)]


def bar(at: AppTest) -> str:
    """The first line of the class bar on top of a learner's page, as Markdown."""
    return next(m.value for m in at.markdown if m.value.startswith("**Class "))  # "**Class K7QX2M** · Ana"


def stage_heading(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Stage "))


def secrets_of(at: AppTest) -> tuple[str, str]:
    return at.session_state["class-teacher"]


def test_a_teacher_starts_a_class_and_learners_join_under_unique_names() -> None:
    t = teacher()
    code, secret = secrets_of(t)
    assert f"# Class code **{code}**" in [m.value for m in t.markdown]
    assert any(c.value == f"/?class={code}" for c in t.code)  # the join link (relative: no browser here)
    assert not any(secret in c.value for c in t.code)  # the teacher key is shown only when asked for...
    t.button(key="class-show-key").click().run()
    assert any(c.value == f"{code}:{secret}" for c in t.code)
    t.run()
    assert not any(secret in c.value for c in t.code)  # ...and for that run only

    ana, ana2 = learner(code, "Ana"), learner(code, "  Ana ")
    assert ana.session_state["class-member"].display_name == "Ana"
    assert ana2.session_state["class-member"].display_name == "Ana (2)"
    assert bar(ana2) == f"**Class {code}** · Ana \\(2\\)"
    t.run()
    assert list(table_with(t, "Name")["Name"]) == ["Ana", "Ana (2)"]
    for at in (t, ana, ana2):  # no secret or token ever reaches a link
        link = at.session_state["link-url"] + repr(dict(at.query_params))
        assert secret not in link and ana.session_state["class-member"].token not in link
    assert "class" not in t.query_params and ana.query_params["class"] == code


def test_following_moves_a_learner_on_their_next_poll_and_stops_when_switched_off() -> None:
    t = teacher()
    ana = learner(secrets_of(t)[0], "Ana")
    assert stage_heading(ana) == "**Stage 1 of 7**"  # joining brought them to the teacher's view
    t.switch_page("pages/prediction.py").run()
    t.text_input(key=f"pred-text:{SLUG}").input("a truly great film").run()
    t.button(key="next").click().run()
    t.button(key="next").click().run()

    ana.run()  # the poll saw a new version: the page reran on the teacher's view
    assert stage_heading(ana) == "**Stage 3 of 7**"
    assert ana.text_input(key=f"pred-text:{SLUG}").value == "a truly great film"

    ana.session_state[f"run:{SLUG}"] = own = default_run(get_lesson(SLUG)).run  # "trained"
    ana.run()
    assert any("lesson's model" in c.value for c in ana.caption)  # following: the class's model, theirs aside

    ana.toggle(key="class-follow").set_value(False).run()
    t.button(key="next").click().run()
    ana.run()
    assert stage_heading(ana) == "**Stage 3 of 7**"  # browsing on their own, with their own model back
    assert ana.session_state[f"run:{SLUG}"] is own
    assert any("your own model" in c.value for c in ana.caption)
    assert [p.following for p in room.roster(room.engine_for(), *secrets_of(t))] == [False]

    t.switch_page("pages/class_session.py").run()
    t.radio(key=f"class-model-pick:{SLUG}").set_value("mine").run()
    assert any("no model of this lesson yet" in e for e in texts(t))  # nothing of theirs to share


def test_a_learner_has_no_teacher_controls_and_a_wrong_key_takes_none() -> None:
    t = teacher()
    code, secret = secrets_of(t)
    ana = learner(code, "Ana")
    ana.switch_page("pages/class_session.py").run()
    keys = {b.key for b in ana.button}
    assert "class-leave" in keys and not keys & {"class-start", "class-reveal", "class-remove", "class-end"}
    assert "class-teacher" not in ana.session_state and not any("Roster" in e.label for e in ana.expander)
    token = ana.session_state["class-member"].token
    assert secret not in repr([ana.session_state[k] for k in ana.session_state])

    other = session()
    other.switch_page("pages/class_session.py").run()
    other.text_input(key="class-resume-key").input(f"{code}:{token}").run()
    other.button(key="class-resume").click().run()
    assert any(f"wrong teacher secret for class {code}" in e for e in texts(other))
    assert "class-teacher" not in other.session_state

    other.text_input(key="class-resume-key").input(f"{code}:{secret}").run()  # a reload: the key takes it back
    other.button(key="class-resume").click().run()
    assert secrets_of(other) == (code, secret) and f"# Class code **{code}**" in [m.value for m in other.markdown]


def test_answers_gather_live_then_the_reveal_reaches_everyone_and_the_csv() -> None:
    t = teacher()
    code, secret = secrets_of(t)
    ana, ben = learner(code, "Ana"), learner(code, "Ben")
    t.segmented_control(key="class-ask-from").set_value("typed").run()
    t.text_area(key="class-typed-question").input("Which <b>layer</b> turns ids into vectors?")
    t.text_area(key="class-typed-choices").input("Embedding\n\nLSTM\nSoftmax\n")
    t.text_area(key="class-typed-explanation").input("The **embedding** looks each id up.")
    t.button(key="FormSubmitter:class-typed-Ask the class").click().run()
    assert not t.error and "### Question 1. Which <b>layer</b> turns ids into vectors?" in texts(t)

    ana.run()
    ben.run()
    (qid,) = {int(r.key.rsplit("-", 1)[1]) for r in ana.radio if r.key.startswith("class-answer-")}
    ana.radio(key=f"class-answer-{qid}").set_value(0).run()
    ben.radio(key=f"class-answer-{qid}").set_value(2).run()
    t.run()
    assert "**2 of 2 answered**" in texts(t)
    assert [p.proto.text for p in t.get("progress")] == ["A. Embedding · **1**", "B. LSTM · **0**",
                                                          "C. Softmax · **1**"]
    t.button(key="class-reveal").click().run()
    ana.run()
    ben.run()
    assert any(s.value.startswith("**Right.** The \\*\\*embedding\\*\\*") for s in ana.success)
    assert any(e.value.startswith("**Not quite.** The answer is A. Embedding") for e in ben.error)

    rows = list(csv.reader(io.StringIO(room.results_csv(room.engine_for(), code, secret))))
    assert rows == [["learner", "question", "asked", "choice", "result"],
                    ["Ana", "Which <b>layer</b> turns ids into vectors?", "quiz", "Embedding", "right"],
                    ["Ben", "Which <b>layer</b> turns ids into vectors?", "quiz", "Softmax", "wrong"]]
    assert any(b.proto.label == "Download the results (CSV)" for b in t.get("download_button"))
    assert any("holds every learner's display name" in c for c in texts(t))


def join_as(code: str, name: str) -> AppTest:
    at = session(**{"class": code})
    at.text_input(key="class-name").input(name).run()
    at.button(key="class-join").click().run()
    return at


def test_a_code_that_names_no_open_class_gets_one_answer_whatever_the_reason() -> None:
    engine = room.engine_for()
    expired = room.start_class(engine, SLUG, now=datetime.now(UTC) - timedelta(hours=5))[0]
    ended, secret = room.start_class(engine, SLUG)
    room.end_class(engine, ended.code, secret)
    for code in ("ZZZZZZ", expired.code, ended.code):  # the dialog opens for any code: it says nothing yet
        at = join_as(code, "Ana")
        assert f"no class is open with code {code}: check the code with your teacher" in texts(at), code
        assert "class-member" not in at.session_state
    at = session(**{"class": "HELLO1"})  # a code that cannot be one is said so at once, with no dialog
    assert any("class code must be 6 characters" in e and "Check the code with your teacher" in e for e in texts(at))
    assert "class" not in at.query_params and not at.text_input


def test_a_full_class_and_an_over_long_name_say_so() -> None:
    engine = room.engine_for()
    full, _ = room.start_class(engine, SLUG, cap=1)
    room.join_class(engine, full.code, "First")
    at = join_as(full.code, "Second")
    assert f"class {full.code} is full (1 learners)" in texts(at) and "class-member" not in at.session_state
    open_class = room.start_class(engine, SLUG)[0]
    at = join_as(open_class.code, "x" * 10_000)  # pasted: the field keeps it, the message says what is wrong
    assert any("display name must be at most 40 characters, got 10000" in e for e in texts(at))


def test_guessing_codes_from_one_page_is_held_back() -> None:
    at = session(**{"class": "ZZZZZZ"})
    said = []
    for _ in range(12):
        at.text_input(key="class-name").input("Eve").run()
        at.button(key="class-join").click().run()
        said.append(next(e for e in texts(at) if e.startswith(("no class is open", "too many join attempts"))))
    assert said[0].startswith("no class is open with code ZZZZZZ")
    assert any(e.startswith("too many join attempts from this device: try again in ") for e in said)


def test_hostile_display_names_are_shown_literally() -> None:
    t = teacher()
    code = secrets_of(t)[0]
    pages = [learner(code, name) for name in HOSTILE]
    names = [p.session_state["class-member"].display_name for p in pages]
    assert names[:2] == HOSTILE[:2] and names[2] == "evil name"  # bidi overrides are dropped
    for page, name in zip(pages, names, strict=True):
        assert bar(page) == f"**Class {code}** · {escape_markdown(name)}"
        assert all(not m.proto.allow_html for m in page.markdown)
    t.run()
    assert [n.replace(JOINER, "") for n in table_with(t, "Name")["Name"]] == names  # as the browser shows them...
    raw = next(x for x in markdown_tables(t) if x.startswith("| Name |"))
    assert [cells(row)[0] for row in raw.splitlines()[2:]] == [escape_markdown(n) for n in names]  # ...escaped
    assert all(not m.proto.allow_html for m in t.markdown)


def test_a_reloaded_learner_rejoins_as_themselves_with_their_code() -> None:
    t = teacher()
    code = secrets_of(t)[0]
    ana = learner(code, "Ana")
    rejoin = ana.session_state["class-member"].rejoin_code
    assert any(rejoin in m.value for m in ana.markdown)  # in the class bar until they say they noted it
    again = session(**dict(ana.query_params))  # a reload: a new session, the link still names the class
    again.text_input(key="class-rejoin-code").input(rejoin.lower()).run()
    again.button(key="class-rejoin").click().run()
    member = again.session_state["class-member"]
    assert (member.display_name, member.learner_id) == ("Ana", ana.session_state["class-member"].learner_id)
    assert len(room.roster(room.engine_for(), *secrets_of(t))) == 1


GATES = "LSTM, word by word: gates and memory"  # stage 5 of the lesson's Prediction page


def stage_shown(at: AppTest) -> bool:
    """Whether the learner's page draws the stage: its title, its picture (a chart) and its verdict."""
    titled = any(plain(s.value) == GATES for s in at.subheader)
    return titled and bool(at.get("plotly_chart")) and any("forget gate" in plain(i.value) for i in at.info)


def test_two_learners_guess_a_stage_on_the_teachers_board_before_it_is_revealed_to_them() -> None:
    t = teacher()
    code, secret = secrets_of(t)
    ana, ben = learner(code, "Ana"), learner(code, "Ben")
    t.switch_page("pages/prediction.py").run()
    t.text_input(key=f"pred-text:{SLUG}").input("a truly great film").run()
    for _ in range(4):
        t.button(key="next").click().run()
    assert stage_heading(t) == "**Stage 5 of 7**" and GATES in [plain(s.value) for s in t.subheader]
    ana.run()
    assert stage_shown(ana)  # before the question, the stage is there as usual

    t.switch_page("pages/class_session.py").run()
    asking = "**Guess before stage 5** (“LSTM, word by word: gates and memory”): At which word will the forget gate"
    assert any(m.startswith(asking) for m in texts(t))
    t.button(key="class-ask-guess").click().run()
    assert not t.exception, t.exception
    heading = "### Guess before stage 5: At which word will the forget gate close most (let most of the memory go)?"
    assert heading in texts(t)
    assert t.button(key="class-reveal").proto.label == "Reveal the answer and stage 5"
    assert t.button(key="class-ask-guess").disabled  # asked: the board says so rather than asking again

    ana.run()
    ben.run()
    for at in (ana, ben):  # the stage waits for the reveal; the question stands in its place
        assert stage_heading(at) == "**Stage 5 of 7**" and not stage_shown(at)
        assert not any(plain(s.value) == GATES for s in at.subheader) and not at.get("plotly_chart")
        assert "**The class is guessing what stage 5 will show.** Make your guess below: the stage appears when " \
               "your teacher reveals the answer." in texts(at)
    (qid,) = {int(r.key.rsplit("-", 1)[1]) for r in ana.radio if r.key.startswith("class-guess-")}
    asked = room.class_state(room.engine_for(), code).question
    assert (asked.id, asked.stage, asked.about, asked.hides) == (qid, 4, "a truly great film", 4)
    ana.radio(key=f"class-guess-{qid}").set_value(0).run()
    ben.radio(key=f"class-guess-{qid}").set_value(1).run()
    assert ana.radio(key=f"class-answer-{qid}").value == 0  # the bar's radio shows the guess made in place
    assert "Your answer (A) is in. You can change it until the teacher reveals it." in texts(ana)
    assert not stage_shown(ana) and not stage_shown(ben)

    t.run()  # the board, before the reveal: both guesses counted, one per choice
    assert "**2 of 2 answered**" in texts(t)
    bars = [p.proto.text for p in t.get("progress")]
    assert bars == [f"{'ABCD'[i]}. {choice} · **{n}**" for i, (choice, n) in enumerate(zip(asked.choices, (1, 1, 0, 0),
                                                                                            strict=True))]
    assert any("keep stage 5 hidden" in c for c in texts(t))
    t.button(key="class-reveal").click().run()
    shown = room.class_state(room.engine_for(), code).question
    answer, right = shown.answer, f"{'ABCD'[shown.answer]}. {shown.choices[shown.answer]}"

    ana.run()
    ben.run()
    for at, choice in ((ana, 0), (ben, 1)):  # the stage is back, with the learner's verdict on their guess beside it
        assert stage_shown(at)
        said = [plain(s.value) for s in at.success] + [plain(e.value) for e in at.error]
        verdict = "**Right.**" if choice == answer else f"**Not quite.** The answer is {right}"
        assert len([s for s in said if s.startswith(verdict)]) == 2, said  # in the class bar, and beside the stage

    rows = list(csv.reader(io.StringIO(room.results_csv(room.engine_for(), code, secret))))
    question = "At which word will the forget gate close most (let most of the memory go)?"
    assert [r[:3] for r in rows[1:]] == [["Ana", question, "guess before stage 5"],
                                         ["Ben", question, "guess before stage 5"]]
    assert [r[4] for r in rows[1:]] == ["right" if c == answer else "wrong" for c in (0, 1)]
