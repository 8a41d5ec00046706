"""Walking through a traced model on Open a trace: breadcrumbs, its parts as the stages, a stage at a time with its
picture, the model tree with a search, and every call in a table that can be filtered.

What is shown where lives in ``pipeline.render.walkthrough`` (no Streamlit); this module keeps the reader's place --
the module opened and the stage shown -- per file, in the session.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from pipeline.document.document import Stage, TraceDocument
from pipeline.document.pictures import stage_view
from pipeline.render import tables, walkthrough
from pipeline.render.describe import reading
from pipeline.trace import Record
from ui.widgets import escape_markdown

PLACE_KEY = "open-trace-place"


@dataclass
class Place:
    """Where a reader is in one file: the module opened (its name and call) and the stage shown in it."""

    file: str
    module: tuple[str, int] = ("", 0)
    stage: int = 0


def place(file: str) -> Place:
    """This session's place in ``file`` (the model and its first stage when the file is new to the session)."""
    current = st.session_state.get(PLACE_KEY)
    if not isinstance(current, Place) or current.file != file:
        current = st.session_state[PLACE_KEY] = Place(file)
    return current


def go(where: Place, module: Record, stage_key: str | None = None, doc: TraceDocument | None = None) -> None:
    """Open ``module`` (at the stage with ``stage_key``, else its first) and draw the page again."""
    where.module, where.stage = (module.name, module.call), 0
    if stage_key is not None and doc is not None:
        where.stage = walkthrough.find_stage(walkthrough.stages_at(doc, module), stage_key)
    st.rerun()


def opened(doc: TraceDocument, where: Place) -> Record | None:
    """The module the reader opened (the model, when the place names a call the file does not have)."""
    return doc.trace.get(*where.module) or walkthrough.root_of(doc.trace)


def breadcrumbs(doc: TraceDocument, where: Place, module: Record | None) -> None:
    """The modules from the model down to the opened one, each a button back up to it."""
    if module is None:
        return
    path = doc.trace.path(module)
    row = st.container(horizontal=True, key="open-trace-crumbs", gap="small")
    for depth, record in enumerate(path):
        label = record.label if depth == 0 else record.name.rpartition(".")[2] or record.label
        if row.button(label, key=f"crumb-{depth}", disabled=record is module, icon=":material/chevron_right:"
                      if depth else ":material/account_tree:", help=f"Open {record.label} ({record.type})"):
            go(where, record)


def stepper(doc: TraceDocument, where: Place, stages: list[Stage]) -> None:
    """One stage at a time: ◀ / ▶ and the stage's picture, its verdict and caption; a stage that is a module with
    parts has a button that opens it."""
    where.stage = min(max(where.stage, 0), len(stages) - 1)
    row = st.container(horizontal=True, vertical_alignment="center", key="open-trace-stepper")  # one row, a phone too
    if row.button("◀ Previous", key="open-trace-prev", disabled=where.stage == 0):
        where.stage -= 1
        st.rerun()
    row.markdown(f"**Stage {where.stage + 1} of {len(stages)}**", width="content")
    if row.button("Next ▶", key="open-trace-next", disabled=where.stage == len(stages) - 1):
        where.stage += 1
        st.rerun()
    stage = stages[where.stage]
    view = stage_view(stage)
    inner = walkthrough.can_open(doc.trace, stage)

    def open_button() -> None:
        if inner is not None and st.button(f"Open {stage.title}: its {walkthrough.inside(doc.trace, inner)} calls "
                                           "become the stages", key="open-trace-open",
                                           icon=":material/subdirectory_arrow_right:"):
            go(where, inner)

    from ui.layers import show_layer  # plotly comes with the first picture drawn, after the page's first lines

    show_layer(view, key=f"open-trace-stage-{where.stage}", number=where.stage + 1, verdict=reading(view),
               side_by_side="open-trace", below=open_button)


def tree(doc: TraceDocument, where: Place, module: Record | None) -> None:
    """The model as a tree of modules, opened down to the one the reader is in; a search lists every call whose name
    or type matches. Choosing a row opens it (a module's parts become the stages) or shows it in its parent."""
    query = st.text_input("Find a module by name or type", key="open-trace-find", placeholder="e.g. conv, attention, "
                          "layer1.0", max_chars=200)
    rows = walkthrough.tree_rows(doc.trace, module, query or "")
    if not rows:
        st.caption(f"No call's name or type holds “{escape_markdown(query)}”." if query else "No modules were traced.")
        return
    if query and len(rows) == walkthrough.MAX_FOUND:
        st.caption(f"The first {walkthrough.MAX_FOUND} matches.")
    st.caption("Click a module to open it: its parts become the stages above (▸ folded, ▾ opened).")
    event = st.dataframe(tables.frame(walkthrough.tree_table(rows)), hide_index=True, on_select="rerun",
                         selection_mode=["single-cell", "single-row"], key=f"open-trace-tree-{where.module}-{query}",
                         height=min(36 * len(rows) + 40, 420),
                         column_config={"Module": st.column_config.TextColumn(width="large")})
    selection = event.selection if event is not None else None
    chosen = (list(selection.rows) or [cell[0] for cell in selection.cells]) if selection is not None else []
    if chosen:
        module_to_open, stage_key = walkthrough.open_record(doc.trace, rows[chosen[0]].record)
        go(where, module_to_open, stage_key, doc)


def calls(doc: TraceDocument) -> None:
    """Every call in one table, whole names kept, filtered by what the reader types."""
    query = st.text_input("Filter the calls by name, type or operation", key="open-trace-calls-filter", max_chars=200)
    rows = tables.call_rows(doc.trace)
    columns = list(rows[0]) if rows else None
    if query:
        needle = query.casefold()
        rows = [r for r in rows if needle in (r["Call"] + r["Kind"] + r["Operation"]).casefold()]
        st.caption(f"{len(rows):,} of {len(doc.trace):,} calls hold that.")
    st.dataframe(tables.frame(rows, columns), hide_index=True,
                 height=min(36 * len(rows) + 40, 600),
                 column_config={"Call": st.column_config.TextColumn(width="large"),
                                "Operation": st.column_config.TextColumn(width="large")})
