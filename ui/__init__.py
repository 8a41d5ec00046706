"""Streamlit glue the pages share, beside app.py (pipeline/ never imports Streamlit; pages/ holds pages only).

- ``ui.state``: the chosen lesson, the link a learner opened and the link that follows them, presenter mode.
- ``ui.runs``: the lesson's shared default run, the learner's own run, predictions and the stepper.
- ``ui.widgets``: escaping, tables, charts, the settings form, quiz marks.
- ``ui.layers``: drawing any prediction layer by its type.
- ``ui.classroom``: a class session: joining, following the teacher, answering; ``ui.class_board``: the Class page.

Nothing here imports torch at import time: a page's first lines paint before the model code loads.
"""

from ui import canvas, class_board, classroom, inside, keys
from ui.runs import (
    default_run,
    handout,
    lesson,
    open_trace_bytes,
    overview,
    own_run,
    predict,
    run_to_use,
    stepper,
    variant_run,
)
from ui.state import (
    content,
    current_slug,
    link_notes,
    presenting,
    refuse_public_address,
    sidebar,
    start_session,
    sync_link,
)
from ui.widgets import (
    OTHER,
    RIGHT,
    WRONG,
    chart,
    escape_markdown,
    marked_choices,
    setting_widget,
    table,
)


def __getattr__(name: str):
    if name in ("picture", "prepare", "show_layer", "stage_rows"):  # plotly: imported when a page first draws a layer
        from ui import layers

        return getattr(layers, name)
    raise AttributeError(f"module 'ui' has no attribute {name!r}")


__all__ = [
    "OTHER",
    "RIGHT",
    "WRONG",
    "canvas",
    "chart",
    "class_board",
    "classroom",
    "content",
    "current_slug",
    "default_run",
    "escape_markdown",
    "handout",
    "inside",
    "keys",
    "lesson",
    "link_notes",
    "marked_choices",
    "open_trace_bytes",
    "overview",
    "own_run",
    "picture",
    "predict",
    "prepare",
    "presenting",
    "refuse_public_address",
    "run_to_use",
    "setting_widget",
    "show_layer",
    "sidebar",
    "stage_rows",
    "start_session",
    "stepper",
    "sync_link",
    "table",
    "variant_run",
]
