"""The Trace: every recorded call of one ``trace`` block, in call order, with look-ups by name and call."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from typing import overload

from pipeline.trace.record import Record, RecordKind, format_structure


class Trace(Sequence[Record]):
    """What flowed through a model: records in call order, looked up by module path and call number.

    ::

        with trace(model, ops=True) as t:
            model(x)
        t["encoder.lstm"].output_shape      # the first call of a module
        t["decoder.lstm", 3]                # its fourth call in the forward pass (a decoder loop)
        t.calls("decoder.lstm")             # every call, in order
        [r.name for r in t.ops("softmax")]  # functional ops, when traced with ops=True
        t.root                              # the traced model's own call

    Indexing by an int (or a slice) walks the records in call order.
    """

    def __init__(self, model_type: str = "", records: Sequence[Record] = (), *, ops: bool = False,
                 device: str = "", passes: int = 0) -> None:
        self.model_type, self.ops_traced, self.device, self.passes = model_type, ops, device, passes
        self._records: list[Record] = []
        self._by_key: dict[tuple[str, int], Record] = {}  # (name, call) -> record
        self._by_name: dict[str, list[Record]] = {}
        for record in records:
            self.add(record)

    def add(self, record: Record) -> None:
        """Append a record (the tracer does this as calls happen); its (name, call) must be new."""
        key = (record.name, record.call)
        if key in self._by_key:
            raise ValueError(f"the trace already has call {record.call} of {record.label!r}")
        self._records.append(record)
        self._by_key[key] = record
        calls = self._by_name.setdefault(record.name, [])
        calls.append(record)
        if len(calls) > 1 and calls[-2].call > record.call:
            calls.sort(key=lambda r: r.call)

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[Record]:
        return iter(self._records)

    @overload
    def __getitem__(self, key: int | str | tuple[str, int]) -> Record: ...

    @overload
    def __getitem__(self, key: slice) -> list[Record]: ...

    def __getitem__(self, key: int | slice | str | tuple[str, int]) -> Record | list[Record]:
        if isinstance(key, int | slice):
            return self._records[key]
        name, call = (key, 0) if isinstance(key, str) else key
        record = self._by_key.get((name, call))
        if record is None:
            raise KeyError(self._missing(name, call))
        return record

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            return key in self._by_name
        if isinstance(key, tuple):
            return key in self._by_key
        return key in self._records

    def get(self, name: str, call: int = 0) -> Record | None:
        """The record of call ``call`` of ``name``, or None if there is none."""
        return self._by_key.get((name, call))

    def calls(self, name: str) -> list[Record]:
        """Every call of ``name`` within a forward pass, in order (empty if it never ran)."""
        return list(self._by_name.get(name, ()))

    def ops(self, type: str | None = None) -> list[Record]:
        """The functional ops recorded (``ops=True``), optionally only those of one torch function."""
        return [r for r in self._records if r.kind is RecordKind.OP and (type is None or r.type == type)]

    def modules(self) -> list[Record]:
        """The module calls, in call order."""
        return [r for r in self._records if r.kind is RecordKind.MODULE]

    @property
    def root(self) -> Record:
        """The traced model's own call (its first, if the block ran it more than once)."""
        return self[""]

    def children(self, parent: Record | None = None) -> list[Record]:
        """The calls made directly inside ``parent`` (default: the traced model), in order.

        A call is direct when no other recorded call inside ``parent`` encloses it: a ModuleList
        that is never called itself does not hide its layers, and an op belongs to the module it ran in.
        """
        parent = parent or self.get("")
        if parent is None:
            return []
        start = self._records.index(parent) + 1
        direct: list[Record] = []
        for r in self._records[start:]:
            if not _inside(r, parent):
                if r.depth <= parent.depth:
                    break  # the parent's call is over
                continue
            if direct and _inside(r, direct[-1]):
                continue
            direct.append(r)
        return direct

    def parent(self, record: Record) -> Record | None:
        """The call ``record`` was made in directly (None for the traced model's own call, or a call made outside it).

        The closest call before it that encloses it: a module called twice (a ReLU used in two places) has a
        parent for each call."""
        start = self._position(record)
        for r in reversed(self._records[:start]):
            if _inside(record, r) and r.depth < record.depth:
                return r
        return None

    def path(self, record: Record) -> list[Record]:
        """The calls from the traced model's down to ``record``, each made inside the one before: breadcrumbs."""
        path = [record]
        while (up := self.parent(path[0])) is not None:
            path.insert(0, up)
        return path

    def tree(self, parent: Record | None = None, modules_only: bool = True) -> list[tuple[Record, int]]:
        """Every call inside ``parent`` (default: the traced model, itself included at level 0), depth first, each
        with its level below ``parent``: the model as a tree of modules (``modules_only``) or of every call."""
        top = parent or self.get("")
        if top is None:
            return []
        start = self._position(top)
        out: list[tuple[Record, int]] = [(top, 0)]
        stack = [top]
        for r in self._records[start + 1:]:
            while stack and not _inside(r, stack[-1]):
                stack.pop()
            if not stack:
                break  # ``parent``'s call is over
            if modules_only and r.kind is RecordKind.OP:
                continue
            out.append((r, len(stack)))
            if r.kind is RecordKind.MODULE:
                stack.append(r)
        return out

    def find(self, text: str) -> list[Record]:
        """The calls whose name or type contains ``text`` (case ignored), in call order: a search of the tree."""
        needle = text.strip().casefold()
        if not needle:
            return []
        return [r for r in self._records if needle in r.label.casefold() or needle in r.type.casefold()]

    def _position(self, record: Record) -> int:
        """Where ``record`` is in call order (a ValueError when it is not one of this trace's records)."""
        found = self._by_key.get((record.name, record.call))
        if found is not record:
            raise ValueError(f"{record.label!r} (call {record.call}) is not a record of this trace")
        return self._records.index(record)

    def span(self, first: str | Record, last: str | Record) -> list[Record]:
        """Every call from ``first`` to the end of ``last`` (the calls made inside ``last`` included), in order.

        The calls a lesson's stage is made of: ``t.span(*lesson.stages[key])``.
        """
        a = first if isinstance(first, Record) else self[first]
        b = last if isinstance(last, Record) else self[last]
        start, end = self._records.index(a), self._records.index(b) + 1
        while end < len(self._records) and _inside(self._records[end], b):
            end += 1
        return self._records[start:end]

    @staticmethod
    def outermost(calls: list[Record]) -> list[Record]:
        """The module calls of ``calls`` not made inside another of them: what a span does, at a glance."""
        kept: list[Record] = []
        for r in calls:
            if r.kind is RecordKind.MODULE and not any(_inside(r, k) for k in kept):
                kept.append(r)
        return kept

    def summary(self) -> str:
        """A plain-text table of the calls: name, type, output structure and parameters."""
        rows = [(("  " * r.depth) + (r.label + (f" [{r.call}]" if r.call else "")), r.type,
                 format_structure(r.outputs), f"{r.num_params:,}" if r.kind is RecordKind.MODULE else "")
                for r in self._records]
        heads = ("call", "type", "output", "params")
        widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(heads)]
        line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()  # noqa: E731
        return "\n".join([line(heads), line(tuple("-" * w for w in widths)), *map(line, rows)])

    def __repr__(self) -> str:
        ops = f", {len(self.ops())} ops" if self.ops_traced else ""
        return f"Trace({self.model_type or 'model'}: {len(self.modules())} module calls{ops}, {self.passes} pass(es))"

    def _missing(self, name: str, call: int) -> str:
        calls = self._by_name.get(name)
        if calls:
            return (f"{name or self.model_type or 'the model'!r} has {len(calls)} call(s) in a forward pass "
                    f"(0 to {len(calls) - 1}); there is no call {call}")
        close = difflib.get_close_matches(name, list(self._by_name), n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        return f"no call of {name!r} was recorded{hint}"


def _inside(r: Record, outer: Record) -> bool:
    """Whether call ``r`` ran inside call ``outer`` (by path: ``outer`` is ``r``'s module or an ancestor)."""
    if outer.kind is RecordKind.OP or r is outer:
        return False
    if not outer.name:
        return True
    where = r.module if r.kind is RecordKind.OP else r.name.rpartition(".")[0] if r.name != outer.name else ""
    return where == outer.name or where.startswith(outer.name + ".")
