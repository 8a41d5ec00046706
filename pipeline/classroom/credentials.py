"""Class codes, teacher secrets and learner tokens: how they are made, stored and checked.

Codes are short and typed by hand, so they use an alphabet without look-alikes. Secrets and tokens
are long random strings; the database keeps only a salted HMAC-SHA256 of each, and checks compare
digests in constant time. A rejoin code is a learner's second, short secret (eight characters of the
code alphabet, about 40 bits): typed after a reload together with the class code, it brings them back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from pipeline.classroom.errors import InvalidCode

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: codes are read off a projector
CODE_LENGTH = 6
SECRET_BYTES = 24  # token_urlsafe(24): 32 characters, 192 random bits
SALT_BYTES = 16
REJOIN_LENGTH = 8  # shown as "ABCD-EFGH"


def new_code() -> str:
    """A fresh random class code, e.g. ``"K7QX2M"``."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(code: str) -> str:
    """The canonical form of a typed code: spaces and dashes dropped, upper case; refuses impossible codes."""
    if not isinstance(code, str):
        raise InvalidCode(f"class code must be text, got {type(code).__name__}")
    cleaned = "".join(code.split()).replace("-", "").upper()
    if len(cleaned) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in cleaned):
        raise InvalidCode(f"class code must be {CODE_LENGTH} characters from {CODE_ALPHABET}, got {code[:20]!r}")
    return cleaned


def new_rejoin_code() -> str:
    """A fresh rejoin code, e.g. ``"K7QX-2MPA"``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(REJOIN_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalize_rejoin(code: str) -> str:
    """The canonical form of a typed rejoin code (``"k7qx 2mpa"`` -> ``"K7QX-2MPA"``); refuses impossible codes."""
    if not isinstance(code, str):
        raise InvalidCode(f"rejoin code must be text, got {type(code).__name__}")
    cleaned = "".join(code.split()).replace("-", "").upper()
    if len(cleaned) != REJOIN_LENGTH or any(c not in CODE_ALPHABET for c in cleaned):
        raise InvalidCode(f"rejoin code must be {REJOIN_LENGTH} characters from {CODE_ALPHABET}, got {code[:20]!r}")
    return f"{cleaned[:4]}-{cleaned[4:]}"


def teacher_key(code: str, secret: str) -> str:
    """What a teacher keeps to take control again after a reload: ``"K7QX2M:<secret>"``."""
    return f"{normalize_code(code)}:{secret}"


def split_teacher_key(key: str) -> tuple[str, str]:
    """``(code, secret)`` from a typed teacher key; the message never repeats the secret part."""
    code, colon, secret = key.strip().partition(":") if isinstance(key, str) else ("", "", "")
    if not colon or not secret.strip():
        raise InvalidCode("a teacher key is the class code, a colon and a long secret, e.g. K7QX2M:q3…")
    return normalize_code(code), secret.strip()


def new_secret() -> str:
    """A fresh teacher secret or the random part of a learner token."""
    return secrets.token_urlsafe(SECRET_BYTES)


def hash_secret(secret: str) -> str:
    """The stored form of a secret: ``"<salt hex>$<hmac-sha256 hex>"``."""
    salt = secrets.token_bytes(SALT_BYTES)
    return f"{salt.hex()}${_digest(salt, secret)}"


def check_secret(secret: str | None, stored: str) -> bool:
    """Whether ``secret`` matches the stored hash, compared in constant time."""
    if not isinstance(secret, str) or not secret:
        return False
    salt_hex, _, digest = stored.partition("$")
    return hmac.compare_digest(_digest(bytes.fromhex(salt_hex), secret), digest)


def learner_token(learner_id: int, secret: str) -> str:
    """The token a learner keeps: their id, a dot, and a random secret (only the secret is hashed)."""
    return f"{learner_id}.{secret}"


def split_token(token: str | None) -> tuple[int, str] | None:
    """``(learner id, secret)`` from a token, or None when it cannot be one."""
    if not isinstance(token, str):
        return None
    head, dot, secret = token.partition(".")
    if not dot or not head.isascii() or not head.isdigit() or not secret or len(head) > 18:
        return None
    return int(head), secret


def _digest(salt: bytes, secret: str) -> str:
    return hmac.new(salt, secret.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
