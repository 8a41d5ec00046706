"""Live class sessions: a teacher leads, learners follow and answer. Pure Python; no Streamlit here.

Pages call the functions below with ``engine_for()`` as the first argument and show ``str(e)`` for any
:class:`ClassroomError`.
"""

import importlib
from typing import TYPE_CHECKING

from pipeline.classroom.errors import (
    ClassEnded,
    ClassExpired,
    ClassFull,
    ClassroomError,
    InvalidChoice,
    InvalidCode,
    InvalidName,
    InvalidValue,
    QuestionClosed,
    UnknownClass,
    UnknownLearner,
    UnknownQuestion,
    WrongSecret,
)
from pipeline.classroom.views import (
    AnswerReceipt,
    ClassInfo,
    ClassState,
    Distribution,
    LearnerView,
    Membership,
    QuestionSource,
    QuestionView,
    RosterEntry,
)

# The functions below need SQLAlchemy (and the QR encoder): they are imported on first use, so a page
# that is not in a class -- most pages, most of the time -- never loads them.
_LAZY = {
    "export": ("results_csv",),
    "qr": ("qr_svg",),
    "questions": ("answer", "distribution", "open_guess", "open_question", "reveal", "typed_choices"),
    "service": ("class_state", "delete_class", "end_class", "expire_classes", "join_class", "learner_view",
                "rejoin_class", "remove_learner", "rename_learner", "roster", "set_following", "set_stage", "set_view",
                "start_class", "state_if_changed"),
    "store": ("engine_for",),
}
_WHERE = {name: module for module, names in _LAZY.items() for name in names}


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # found once, then an ordinary attribute
    return value


if TYPE_CHECKING:
    from pipeline.classroom.export import results_csv
    from pipeline.classroom.qr import qr_svg
    from pipeline.classroom.questions import answer, distribution, open_guess, open_question, reveal, typed_choices
    from pipeline.classroom.service import (
        class_state,
        delete_class,
        end_class,
        expire_classes,
        join_class,
        learner_view,
        rejoin_class,
        remove_learner,
        rename_learner,
        roster,
        set_following,
        set_stage,
        set_view,
        start_class,
        state_if_changed,
    )
    from pipeline.classroom.store import engine_for


__all__ = [
    "AnswerReceipt", "ClassEnded", "ClassExpired", "ClassFull", "ClassInfo", "ClassState", "ClassroomError",
    "Distribution", "InvalidChoice", "InvalidCode", "InvalidName", "InvalidValue", "LearnerView", "Membership",
    "QuestionClosed", "QuestionSource", "QuestionView", "RosterEntry", "UnknownClass", "UnknownLearner",
    "UnknownQuestion", "WrongSecret", "answer", "class_state", "delete_class", "distribution", "end_class",
    "engine_for", "expire_classes", "join_class", "learner_view", "open_guess", "open_question", "qr_svg",
    "rejoin_class", "remove_learner", "rename_learner", "results_csv", "reveal", "roster", "set_following",
    "set_stage", "set_view", "start_class", "state_if_changed", "typed_choices",
]
