"""What a user hands us and gets back: files read only when regular and bounded, written atomically,
checked before any work; and text shown on a terminal with every control character made visible.

Every problem is an ``InputError`` whose message names the path and the reason, so the CLI and the
app can show one line instead of a traceback -- and nothing ever blocks on a named pipe or a device.
"""

from __future__ import annotations

import os
import stat
import tempfile
import unicodedata
from pathlib import Path

from pipeline.errors import InputError


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_user_file(path: str | os.PathLike, limit: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; InputError for anything else.

    The type and size are checked on the open descriptor (no race with a swapped file), and the file
    is opened non-blocking, so a named pipe or a device is refused instead of hanging the program.
    """
    name = os.fspath(path)
    try:
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise InputError(f"no such {what}: {name!r}") from None
    except IsADirectoryError:
        raise InputError(f"{name!r} is a folder, not a {what}") from None
    except OSError as e:
        raise InputError(f"cannot open {name!r}: {e.strerror or e}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{name!r} is {_kind(info.st_mode)}, not a {what}")
        if info.st_size > limit:
            raise InputError(f"{name!r} is {_size(info.st_size)}; the limit for a {what} is {_size(limit)}")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise InputError(f"cannot read {name!r}: {e.strerror or e}") from None
    finally:
        os.close(fd)
    if len(data) > limit:  # the file grew while we read it
        raise InputError(f"{name!r} is larger than the limit for a {what} ({_size(limit)})")
    return data


def check_destination(path: str | os.PathLike, what: str = "output file") -> Path:
    """Refuse, before any work is done, a destination that cannot be written as a regular file."""
    target = Path(path)
    if not str(path).strip():
        raise InputError(f"the {what} name is empty")
    try:
        info = target.stat()
    except FileNotFoundError:
        info = None
    except OSError as e:
        raise InputError(f"cannot write {os.fspath(path)!r}: {e.strerror or e}") from None
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise InputError(f"cannot write {os.fspath(path)!r}: it is {_kind(info.st_mode)}")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"cannot write {os.fspath(path)!r}: the folder {os.fspath(folder)!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (info is not None and not os.access(target, os.W_OK)):
        raise InputError(f"cannot write {os.fspath(path)!r}: permission denied")
    return target


def atomic_write(path: str | os.PathLike, data: bytes | str) -> None:
    """Write to a temporary file beside ``path``, then rename it over: a failure leaves the old file whole."""
    target = check_destination(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temp, 0o644)  # mkstemp makes 0600; an exported file is for sharing
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n:,} bytes"


MAX_SHOWN = 300  # characters of a user's text shown in one line or cell


def visible(text: object, limit: int = MAX_SHOWN) -> str:
    """Text safe for a terminal: every control or format character written as an escape (``\\x1b``,
    ``\\u202e``), newlines and tabs as spaces, clipped to ``limit`` characters."""
    out = []
    for ch in str(text)[: limit + 1]:
        if ch in "\n\t":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    shown = "".join(out)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
