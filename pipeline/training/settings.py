"""Bounded settings: a dataclass field that knows its range, label and help text.

The CLI, the app's widgets, links and validation all read the same bounds, so they never disagree.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
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

    def fmt(self, value: Any) -> str:
        """A value of this setting as a person reads it: ``2,147,483,647``, ``0.002``, ``on``."""
        if self.kind is bool:
            return "on" if value else "off"
        if self.kind is int and isinstance(value, int | float) and float(value).is_integer():
            return f"{int(value):,}"
        return f"{value:g}" if isinstance(value, float) else str(value)

    @property
    def kind_text(self) -> str:
        return "a whole number" if self.kind is int else "a number"

    @property
    def between(self) -> str:
        return f"{self.fmt(self.min)} and {self.fmt(self.max)}"

    @property
    def range_text(self) -> str:
        return f"{self.fmt(self.min)} to {self.fmt(self.max)}"


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
                raise ValueError(f"{spec.label} ({spec.name}) must be on or off, got {value!r}")
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or (spec.kind is int and
                                                                              not isinstance(value, int)):
            raise ValueError(f"{spec.label} ({spec.name}) must be {spec.kind_text}, got {value!r}")
        if not math.isfinite(value) or not spec.min <= value <= spec.max:
            raise ValueError(f"{spec.label} ({spec.name}) must be between {spec.between}, got {spec.fmt(value)}")


def make_settings(settings_type: type, values: Mapping[str, Any]) -> Any:
    """Build a settings dataclass from form or link values, coercing each to its declared kind.

    Raises ValueError naming the setting when a value is unknown, of the wrong kind or out of range.
    """
    kinds = {s.name: s for s in specs(settings_type)}
    unknown = set(values) - {f.name for f in dataclasses.fields(settings_type)}
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    return settings_type(**{k: _coerce(kinds[k], v) if k in kinds else v for k, v in values.items()})


def parse_setting(spec: SettingSpec, raw: str) -> Any:
    """A setting's value from text (a command line or a link), checked against its bounds."""
    text = raw.strip()
    if spec.kind is bool:
        if text.lower() in {"1", "true", "on", "yes"}:
            return True
        if text.lower() in {"0", "false", "off", "no"}:
            return False
        raise ValueError(f"{spec.label} ({spec.name}) must be on or off (1/0), got {raw[:40]!r}")
    try:
        value = float(text) if spec.kind is float else int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise ValueError(f"{spec.label} ({spec.name}) must be {spec.kind_text}, got {raw[:40]!r}") from None
    if not math.isfinite(value) or not spec.min <= value <= spec.max:
        raise ValueError(f"{spec.label} ({spec.name}) must be between {spec.between}, got {raw[:40]}")
    return value


def _coerce(spec: SettingSpec, value: Any) -> Any:
    if spec.kind is int and isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{spec.label} ({spec.name}) must be a whole number, got {value:g}")
        return int(value)
    if spec.kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def differences(runs: list[Any], sources: list[str] | None = None) -> list[str]:
    """A label per settings object naming what sets it apart from the others: ``Learning rate 0.01 · Epochs 10``.

    Only settings whose values are not the same in every run are named (with ``sources``, the data each
    run trained on, when those differ too); runs that differ in nothing are told apart by number.
    """
    if not runs:
        return []
    varying = [spec for spec in specs(runs[0]) if len({getattr(r, spec.name) for r in runs}) > 1]
    labels = []
    for i, run in enumerate(runs):
        parts = [f"{spec.label} {spec.fmt(getattr(run, spec.name))}" for spec in varying]
        if sources is not None and len(set(sources)) > 1:
            parts.append(sources[i])
        labels.append(" · ".join(parts) or "same settings")
    repeated = {label for label in labels if labels.count(label) > 1}
    return [f"{label} (run {i + 1})" if label in repeated else label for i, label in enumerate(labels)]
