"""What can go wrong in a class session: one exception type per problem, each with a one-line message.

Pages catch :class:`ClassroomError` and show ``str(e)``. The messages name the bad value, except
secrets and tokens, which are never echoed back (a message may end up on a projected screen).
"""

from __future__ import annotations


class ClassroomError(Exception):
    """Base of every error a page shows to a teacher or a learner."""


class UnknownClass(ClassroomError, LookupError):
    """No class has this code (never started, deleted, or swept after expiry)."""


class InvalidCode(ClassroomError, ValueError):
    """A class code that cannot exist: wrong length or a character outside the code alphabet."""


class ClassExpired(ClassroomError):
    """The class ran past its expiry time."""


class ClassEnded(ClassroomError):
    """The teacher ended the class; it only answers read-only and export calls now."""


class WrongSecret(ClassroomError, PermissionError):
    """A teacher function was called without the class's teacher secret."""


class UnknownLearner(ClassroomError, LookupError):
    """A learner token or learner id that belongs to no current learner of the class."""


class ClassFull(ClassroomError):
    """The class already has as many learners as its cap allows."""


class InvalidName(ClassroomError, ValueError):
    """A display name that is empty after cleaning, or too long."""


class InvalidValue(ClassroomError, ValueError):
    """A view field, question field, setting or link outside its allowed range."""


class UnknownQuestion(ClassroomError, LookupError):
    """No question with this id in the class."""


class QuestionClosed(ClassroomError):
    """An answer to a question that is not open, or whose answer is already revealed."""


class InvalidChoice(ClassroomError, ValueError):
    """A choice index outside the question's choices."""


class TooManyAttempts(ClassroomError):
    """Join attempts came too fast from one device or address, or into one class; ``wait`` says for how long."""

    def __init__(self, message: str, wait: float) -> None:
        super().__init__(message)
        self.wait = wait
