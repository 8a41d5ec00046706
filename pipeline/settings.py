"""Bounded settings: a dataclass field that knows its range, label and help text.

The CLI, the app's widgets and validation all read the same bounds, so they never disagree.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


def setting(default: Any, lo: float, hi: float, label: str, help: str = "") -> Any:
    """A dataclass field with bounds ``lo <= value <= hi`` and a label for forms."""
    return dataclasses.field(default=default, metadata={"min": lo, "max": hi, "label": label, "help": help})


@dataclass(frozen=True)
class SettingSpec:
    """One bounded setting, as a form or a command line shows it."""

    name: str
    label: str
    help: str
    default: Any
    min: float
    max: float
    kind: type


def specs(cls_or_obj: Any) -> list[SettingSpec]:
    """The bounded settings of a settings dataclass, in declaration order."""
    out = []
    for f in dataclasses.fields(cls_or_obj):
        if "min" in f.metadata:
            kind = f.type if isinstance(f.type, type) else {"int": int, "float": float, "bool": bool}[f.type]
            out.append(SettingSpec(f.name, f.metadata["label"], f.metadata["help"], f.default,
                                   f.metadata["min"], f.metadata["max"], kind))
    return out


def check(obj: Any) -> None:
    """Raise ValueError naming the first setting outside its bounds or of the wrong type."""
    for spec in specs(obj):
        value = getattr(obj, spec.name)
        if spec.kind is bool:
            if not isinstance(value, bool):
                raise ValueError(f"{spec.name} must be true or false, got {value!r}")
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or (spec.kind is int and
                                                                              not isinstance(value, int)):
            raise ValueError(f"{spec.name} must be {'an integer' if spec.kind is int else 'a number'}, "
                             f"got {value!r}")
        if not spec.min <= value <= spec.max:
            raise ValueError(f"{spec.name} must be between {spec.min:g} and {spec.max:g}, got {value:g}")
