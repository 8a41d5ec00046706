"""Live class sessions: a teacher leads, learners follow and answer. Pure Python; no Streamlit here.

Pages call the functions below with ``engine_for()`` as the first argument and show ``str(e)`` for any
:class:`ClassroomError`.
"""

import importlib
from typing import TYPE_CHECKING, Any

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
    TooManyAttempts,
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
    "credentials": ("normalize_code", "split_teacher_key", "teacher_key"),
    "names": ("MAX_NAME",),
    "throttle": ("JoinThrottle",),
    "export": ("results_csv",),
    "qr": ("qr_svg",),
    "questions": ("answer", "distribution", "open_guess", "open_question", "reveal", "typed_choices"),
    "service": ("class_state", "delete_class", "end_class", "expire_classes", "join_class", "learner_view",
                "rejoin_class", "remove_learner", "rename_learner", "roster", "set_following", "set_stage", "set_view",
                "start_class", "state_if_changed"),
    "store": ("engine_for",),
}
_WHERE = {name: module for module, names in _LAZY.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # found once, then an ordinary attribute
    return value


if TYPE_CHECKING:
    from pipeline.classroom.credentials import normalize_code, split_teacher_key, teacher_key
    from pipeline.classroom.export import results_csv
    from pipeline.classroom.names import MAX_NAME
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
    from pipeline.classroom.throttle import JoinThrottle


__all__ = [
    "MAX_NAME",
    "AnswerReceipt",
    "ClassEnded",
    "ClassExpired",
    "ClassFull",
    "ClassInfo",
    "ClassState",
    "ClassroomError",
    "Distribution",
    "InvalidChoice",
    "InvalidCode",
    "InvalidName",
    "InvalidValue",
    "JoinThrottle",
    "LearnerView",
    "Membership",
    "QuestionClosed",
    "QuestionSource",
    "QuestionView",
    "RosterEntry",
    "TooManyAttempts",
    "UnknownClass",
    "UnknownLearner",
    "UnknownQuestion",
    "WrongSecret",
    "answer",
    "class_state",
    "delete_class",
    "distribution",
    "end_class",
    "engine_for",
    "expire_classes",
    "join_class",
    "learner_view",
    "normalize_code",
    "open_guess",
    "open_question",
    "qr_svg",
    "rejoin_class",
    "remove_learner",
    "rename_learner",
    "results_csv",
    "reveal",
    "roster",
    "set_following",
    "set_stage",
    "set_view",
    "split_teacher_key",
    "start_class",
    "state_if_changed",
    "teacher_key",
    "typed_choices",
]
