"""Walking through a big model, for any surface: where you are, its parts as the stages, the tree and a search.

A reader starts at the traced model; opening a module makes the calls made inside it the stages (a ResNet
block's convolutions and its residual add, a BERT layer's attention and feed-forward), and the breadcrumbs
lead back up. The tree shows every module along the way opened and the others folded (``▸``), or, with a
search, every call whose name or type matches. Open a trace and the notebook view both use it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.document.document import Stage, TraceDocument, relative_name, stages_of
from pipeline.render.tables import Rows, fmt_shape
from pipeline.trace import Record, RecordKind, Trace

MAX_FOUND = 500  # rows a search lists (a name every call shares would list them all)


@dataclass(frozen=True)
class TreeRow:
    """One row of the model tree: a call, how deep it sits below the model, and whether it is folded."""

    record: Record
    level: int
    inside: int  # calls made directly inside it
    opened: bool  # its parts are shown below it
    found: bool = False  # a search's match: named in full, since its parents are not shown above it

    @property
    def label(self) -> str:
        """``▾ layer1.0``, ``▸ layer1.1`` or ``  conv1``: indented by level, with its name below its parent's."""
        mark = ("▾ " if self.opened else "▸ ") if self.inside else "  "
        whole = self.found or self.level == 0
        name = self.record.label if whole else relative_name(self.record, _parent_name(self.record))
        return "    " * self.level + mark + name + (f" (call {self.record.call + 1})" if self.record.call else "")


def _parent_name(record: Record) -> str:
    return record.module if record.kind is RecordKind.OP else record.name.rpartition(".")[0]


def root_of(trace: Trace) -> Record | None:
    """The traced model's own call (None for an empty trace)."""
    return trace.get("")


def stages_at(doc: TraceDocument, module: Record | None) -> list[Stage]:
    """The stages to show with ``module`` opened: the document's own at the model (a lesson's), else its parts."""
    root = root_of(doc.trace)
    if module is None or module is root:
        return doc.stages
    return stages_of(doc.trace, module)


def inside(trace: Trace, record: Record) -> int:
    """How many calls ``record`` made directly (0 for an op or a module with no recorded parts)."""
    return len(trace.children(record)) if record.kind is RecordKind.MODULE else 0


def tree_rows(trace: Trace, current: Record | None, query: str = "") -> list[TreeRow]:
    """The model tree with the modules from the model down to ``current`` opened and the others folded; with a
    ``query``, every call whose name or type holds it instead (at most ``MAX_FOUND``), each at its own level."""
    if query.strip():
        return [TreeRow(r, r.depth, inside(trace, r), False, True) for r in trace.find(query)[:MAX_FOUND]]
    root = root_of(trace)
    if root is None:
        return []
    opened = {id(r) for r in trace.path(current)} if current is not None else {id(root)}
    rows: list[TreeRow] = []
    chain: list[Record] = []  # the records above the one walked, by level
    for record, level in trace.tree(root):
        del chain[level:]
        if all(id(r) in opened for r in chain):  # every module above it is opened
            rows.append(TreeRow(record, level, inside(trace, record), id(record) in opened))
        chain.append(record)
    return rows


def tree_table(rows: list[TreeRow]) -> Rows:
    """The tree's rows as a table: the module (indented), its type, its output's shape and its parameters."""
    return [{"Module": row.label, "Type": row.record.type, "Output": fmt_shape(row.record.output_shape),
             "Parameters": f"{row.record.num_params:,}" if row.record.kind is RecordKind.MODULE else "",
             "Calls inside": f"{row.inside:,}" if row.inside else ""} for row in rows]


def open_record(trace: Trace, record: Record) -> tuple[Record, str | None]:
    """What choosing ``record`` in the tree shows: the module to open and the key of the stage to show in it --
    a module with parts opens itself (its first stage); a call with none opens its parent at its own stage."""
    if inside(trace, record):
        return record, None
    parent = trace.parent(record) or record
    return parent, f"{record.name}#{record.call}"


def find_stage(stages: list[Stage], key: str | None) -> int:
    """The index of the stage with ``key`` (0 when there is none): a leaf chosen in the tree, shown in its parent."""
    return next((i for i, s in enumerate(stages) if s.key == key), 0)


def can_open(trace: Trace, stage: Stage) -> Record | None:
    """The module a stage's call is, when it has parts to open (None for an op, a leaf or a run of calls)."""
    record = stage.record
    if record is None or stage.key != f"{record.name}#{record.call}" or not inside(trace, record):
        return None
    return record
