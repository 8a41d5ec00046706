"""pipeline.classroom.credentials at its edges and in its exact words: each test kills mutants that the property
tests in test_classroom_credentials.py let through (bench/mutation.py credentials)."""

from __future__ import annotations

import re

import pytest

from pipeline.classroom import InvalidCode
from pipeline.classroom.credentials import (
    CODE_ALPHABET,
    check_secret,
    hash_secret,
    new_rejoin_code,
    new_secret,
    normalize_code,
    normalize_rejoin,
    split_teacher_key,
    split_token,
    teacher_key,
)

ALPHABET = f"[{CODE_ALPHABET}]"


def refusal(call, value) -> str:
    with pytest.raises(InvalidCode) as caught:
        call(value)
    return str(caught.value)


@pytest.mark.parametrize("typed", ["K7QX2M", "k7qx2m", "K7Q X2M", " K7Q-X2M ", "k-7-q-x-2-m"])
def test_a_code_typed_with_spaces_dashes_or_lower_case_is_the_code(typed) -> None:
    assert normalize_code(typed) == "K7QX2M"


def test_code_refusals_in_full() -> None:
    assert refusal(normalize_code, 123) == "class code must be text, got int"
    assert refusal(normalize_code, "Q" * 30) == (f"class code must be 6 characters from {CODE_ALPHABET}, got "
                                                 f"{'Q' * 20!r}")


def test_rejoin_codes_are_two_groups_of_four_and_normalize_to_themselves() -> None:
    codes = {new_rejoin_code() for _ in range(50)}
    assert all(re.fullmatch(f"{ALPHABET}{{4}}-{ALPHABET}{{4}}", c) and normalize_rejoin(c) == c for c in codes)
    assert len(codes) > 45


@pytest.mark.parametrize("typed", ["K7QX-2MPA", "k7qx 2mpa", "K7QX2MPA", " k7-qx-2m-pa "])
def test_a_rejoin_code_typed_any_way_is_the_code(typed) -> None:
    assert normalize_rejoin(typed) == "K7QX-2MPA"


@pytest.mark.parametrize("typed", ["K7QX-2MP", "K7QX-2MPAB", "K7QX-2MP0", "K7QX-2MP!", ""])
def test_rejoin_refusals_in_full(typed) -> None:
    assert refusal(normalize_rejoin, typed) == (f"rejoin code must be 8 characters from {CODE_ALPHABET}, got "
                                                f"{typed!r}")


def test_rejoin_refusals_of_other_things() -> None:
    assert refusal(normalize_rejoin, 42) == "rejoin code must be text, got int"
    assert refusal(normalize_rejoin, "Z" * 30).endswith(f"got {'Z' * 20!r}")


def test_teacher_keys_round_trip_and_keep_a_colon_in_the_secret() -> None:
    assert teacher_key("k7qx2m", "s3cret") == "K7QX2M:s3cret"
    assert split_teacher_key(" k7qx2m:s3cret ") == ("K7QX2M", "s3cret")
    assert split_teacher_key("K7QX2M:a:b") == ("K7QX2M", "a:b")


@pytest.mark.parametrize("key", ["K7QX2M", "K7QX2M:", "K7QX2M:   ", None, 42])
def test_teacher_key_refusals_never_repeat_the_key(key) -> None:
    assert refusal(split_teacher_key, key) == ("a teacher key is the class code, a colon and a long secret, e.g. "
                                               "K7QX2M:q3…")


def test_secrets_are_32_characters_and_salts_16_bytes() -> None:
    assert len(new_secret()) == 32
    salt, dollar, digest = hash_secret("x").partition("$")
    assert dollar and len(salt) == 32 and len(digest) == 64


def test_the_empty_secret_and_non_text_never_match() -> None:
    assert not check_secret("", hash_secret(""))
    assert not check_secret(123, hash_secret("123"))  # type: ignore[arg-type]


def test_a_secret_with_a_lone_surrogate_is_hashed_and_checked() -> None:
    odd = "abc\ud800def"  # what a browser may send for broken text: hashed as it is, never an error
    assert check_secret(odd, hash_secret(odd)) and not check_secret("abcdef", hash_secret(odd))


def test_learner_ids_of_up_to_18_digits_are_read() -> None:
    assert split_token("9" * 18 + ".s") == (int("9" * 18), "s")
    assert split_token("9" * 19 + ".s") is None
