"""Live class sessions: a teacher leads, learners follow and answer. Pure Python; no Streamlit here.

Pages call the functions below with ``engine_for()`` as the first argument and show ``str(e)`` for any
:class:`ClassroomError`.
"""

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
from pipeline.classroom.export import results_csv
from pipeline.classroom.qr import qr_svg
from pipeline.classroom.questions import answer, distribution, open_question, reveal, typed_choices
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

__all__ = [
    "AnswerReceipt", "ClassEnded", "ClassExpired", "ClassFull", "ClassInfo", "ClassState", "ClassroomError",
    "Distribution", "InvalidChoice", "InvalidCode", "InvalidName", "InvalidValue", "LearnerView", "Membership",
    "QuestionClosed", "QuestionSource", "QuestionView", "RosterEntry", "UnknownClass", "UnknownLearner",
    "UnknownQuestion", "WrongSecret", "answer", "class_state", "delete_class", "distribution", "end_class",
    "engine_for", "expire_classes", "join_class", "learner_view", "open_question", "qr_svg", "rejoin_class",
    "remove_learner", "rename_learner", "results_csv", "reveal", "roster", "set_following", "set_stage", "set_view",
    "start_class", "state_if_changed", "typed_choices",
]
