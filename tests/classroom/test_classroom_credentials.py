"""Codes, secrets, tokens and display names, property-tested where hostile input is the point."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.classroom import InvalidCode, InvalidName
from pipeline.classroom.credentials import (
    CODE_ALPHABET,
    check_secret,
    hash_secret,
    learner_token,
    new_code,
    new_secret,
    normalize_code,
    split_token,
)
from pipeline.classroom.names import MAX_NAME, clean_name, unique_name


def test_the_code_alphabet_has_no_look_alikes():
    assert not set("0O1IL") & set(CODE_ALPHABET) and len(set(CODE_ALPHABET)) == len(CODE_ALPHABET) == 31


def test_new_codes_are_valid_and_varied():
    codes = {new_code() for _ in range(200)}
    assert all(normalize_code(code) == code for code in codes) and len(codes) > 190


@given(st.text(max_size=12))
def test_normalize_code_accepts_only_six_alphabet_characters(typed):
    try:
        code = normalize_code(typed)
    except InvalidCode as error:
        assert "class code must be 6 characters" in str(error)
    else:
        assert len(code) == 6 and set(code) <= set(CODE_ALPHABET)


def test_secrets_are_long_and_checked_against_salted_hashes():
    secret = new_secret()
    first, second = hash_secret(secret), hash_secret(secret)
    assert len(secret) >= 32 and secret not in first and first != second
    assert check_secret(secret, first) and check_secret(secret, second)
    for wrong in (secret[:-1], secret + "x", "", None, new_secret()):
        assert not check_secret(wrong, first)


@pytest.mark.parametrize(("token", "parts"), [
    ("12.abc", (12, "abc")), ("12.a.b", (12, "a.b")), ("12", None), (".abc", None), ("12.", None),
    ("x.abc", None), ("١٢.abc", None), ("-1.abc", None), (None, None), ("9" * 19 + ".a", None),
])
def test_split_token(token, parts):
    assert split_token(token) == parts


def test_learner_tokens_round_trip():
    assert split_token(learner_token(7, "s3cret_-")) == (7, "s3cret_-")


@given(st.text(max_size=60))
def test_clean_names_are_visible_trimmed_bounded_and_stable(name):
    try:
        cleaned = clean_name(name)
    except InvalidName as error:
        assert "display name" in str(error)
        return
    assert 1 <= len(cleaned) <= MAX_NAME and cleaned == cleaned.strip() and "  " not in cleaned
    assert not any(unicodedata.category(c) in {"Cc", "Cf", "Cs", "Co", "Cn"} for c in cleaned)
    assert clean_name(cleaned) == cleaned


@given(st.text(min_size=1, max_size=MAX_NAME).filter(str.strip), st.lists(st.text(max_size=MAX_NAME), max_size=8))
def test_unique_names_avoid_every_taken_name(name, taken):
    chosen = unique_name(name, [*taken, name])
    assert chosen.casefold() not in {t.casefold() for t in [*taken, name]} and len(chosen) <= MAX_NAME


def test_unique_name_numbers_from_two_and_keeps_the_length_limit():
    assert unique_name("Ana", ["Ben"]) == "Ana"
    assert unique_name("Ana", ["ANA", "Ana (2)"]) == "Ana (3)"
    long = "x" * MAX_NAME
    assert unique_name(long, [long]) == "x" * (MAX_NAME - 4) + " (2)"
