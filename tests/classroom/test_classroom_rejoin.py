"""Rejoin codes: a learner whose page reloaded comes back as themselves; typed choices for a live question."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from pipeline.classroom import (
    InvalidCode,
    InvalidValue,
    UnknownLearner,
    answer,
    join_class,
    learner_view,
    open_question,
    rejoin_class,
    results_csv,
    typed_choices,
)
from pipeline.classroom.credentials import CODE_ALPHABET, normalize_rejoin
from pipeline.classroom.migrate import alembic_config
from pipeline.classroom.store import LearnerRow, open_engine, transact


def test_joining_gives_a_short_rejoin_code_stored_only_as_a_hash(engine, started):
    ana = join_class(engine, started.code, "Ana")
    head, dash, tail = ana.rejoin_code.partition("-")
    assert dash and len(head) == len(tail) == 4 and set(head + tail) <= set(CODE_ALPHABET)
    rows = transact(engine, lambda s: [vars(r) for r in s.scalars(select(LearnerRow))], write=False)
    assert ana.rejoin_code not in repr(rows) and rows[0]["rejoin_hash"].count("$") == 1


def test_a_rejoin_code_brings_the_same_learner_back_with_a_new_token(engine, started):
    ana = join_class(engine, started.code, "Ana")
    join_class(engine, started.code, "Ben")
    question = open_question(engine, started.code, started.secret, "Q?", ["a", "b"], 1)
    answer(engine, ana.token, question.id, 1)
    back = rejoin_class(engine, started.code.lower(), ana.rejoin_code.lower().replace("-", " "))
    assert (back.learner_id, back.display_name, back.rejoin_code) == (ana.learner_id, "Ana", ana.rejoin_code)
    assert back.token != ana.token
    assert learner_view(engine, back.token).my_choice == 1  # their answers came back with them
    with pytest.raises(UnknownLearner):
        learner_view(engine, ana.token)  # one page at a time: the lost page's token is retired
    assert "Ana,Q?,quiz,b,right" in results_csv(engine, started.code, started.secret)


def test_a_wrong_or_malformed_rejoin_code_is_refused(engine, started):
    ana = join_class(engine, started.code, "Ana")
    wrong = "".join(CODE_ALPHABET[(CODE_ALPHABET.index(c) + 1) % len(CODE_ALPHABET)] if c != "-" else c
                    for c in ana.rejoin_code)
    with pytest.raises(UnknownLearner, match=f"no learner of class {started.code} has this rejoin code"):
        rejoin_class(engine, started.code, wrong)
    with pytest.raises(InvalidCode, match="rejoin code must be 8 characters"):
        rejoin_class(engine, started.code, "0OIL-1234")
    assert normalize_rejoin(" abcd efgh ") == "ABCD-EFGH"


def test_learners_from_before_rejoin_codes_cannot_be_rejoined(tmp_path):
    from alembic import command

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    old = open_engine(url)
    with old.begin() as connection:  # the 0001 schema, with a learner who joined then
        command.downgrade(alembic_config(connection), "0001")
    from pipeline.classroom import start_class

    info, _ = start_class(old, "sequence-classification")
    with old.begin() as connection:
        connection.execute(text("INSERT INTO classroom_learners (class_id, display_name, token_hash, following, "
                                "joined_at, last_seen) VALUES (1, 'Old', 'x$y', 1, '2030-01-01', '2030-01-01')"))
    old.dispose()
    engine = open_engine(url)  # upgraded to 0002: the old learner has no rejoin code
    with pytest.raises(UnknownLearner):
        rejoin_class(engine, info.code, "ABCD-EFGH")
    assert join_class(engine, info.code, "Old").display_name == "Old (2)"
    engine.dispose()


@pytest.mark.parametrize(("typed", "expected"), [
    ("yes\nno", ("yes", "no")),
    ("  a \n\n b\n c\n", ("a", "b", "c")),
])
def test_typed_choices_are_one_per_line(typed, expected):
    assert typed_choices(typed) == expected


@pytest.mark.parametrize(("typed", "message"), [
    ("only one", "type 2 to 6 choices, one per line, got 1"),
    ("1\n2\n3\n4\n5\n6\n7", "got 7"),
    ("a\n" + "x" * 201, "choice 1 must be at most 200 characters"),
])
def test_typed_choices_out_of_bounds_are_refused(typed, message):
    with pytest.raises(InvalidValue, match=message):
        typed_choices(typed)


def test_a_teacher_key_holds_the_code_and_the_secret(engine, started):
    from pipeline.classroom import roster
    from pipeline.classroom.credentials import split_teacher_key, teacher_key

    key = teacher_key(started.code, started.secret)
    code, secret = split_teacher_key(f"  {key.lower()[:6]}{key[6:]} ")
    assert (code, secret) == (started.code, started.secret) and roster(engine, code, secret) == ()
    with pytest.raises(InvalidCode, match="a teacher key is the class code, a colon") as caught:
        split_teacher_key(started.secret)
    assert started.secret not in str(caught.value)
