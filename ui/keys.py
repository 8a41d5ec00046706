"""Every key of a learner's session state, made here: the page that writes a value and the one that reads it always
agree on its name. A key that belongs to one lesson carries its slug (the input typed for one lesson is not
another's)."""

from __future__ import annotations

LESSON = "lesson"  # the lesson picked in the sidebar
PRESENT = "present"  # presenter mode
CLASS_CODE = "class-code"  # the class a learner opened a link to, or joined
LINK_READ = "link-read"  # the link this session opened has been read (once per session)
LINK_NOTES = "link-notes"  # what the link asked for that could not be used, shown once
LINK_URL = "link-url"  # the link to this view, for the sidebar's "Link to this view"
# What an opened link asks for, kept until ui.runs applies it (a class's stage uses LINK_STEP too)
LINK_STEP = "link-step"  # a step, applied when the stepper is made
LINK_STEP_NOTE = "link-step-note"  # set with a step from a link: one past the last stage is said, not kept
LINK_SETTINGS = "link-settings"  # (lesson, settings), looked up in the run cache once
PREDICTIONS = "predictions"  # this session's last traced predictions (ui.runs.predict)
PLAY_SPEED = "play-speed"
CLASS_NOW = "class-now"  # the class's state as a learner's last full run or class bar read it (a push may be newer)
CLASS_GUESSED = "class-guessed"  # a guess just made in place of its stage: the class bar is to say so too


def text(slug: str) -> str:
    """The input typed on the Prediction page."""
    return f"pred-text:{slug}"


def example(slug: str) -> str:
    """The held-out example picked on the Prediction page (None once it has filled the input)."""
    return f"pred-example:{slug}"


def second_text(slug: str) -> str:
    """The second input, compared side by side with the first."""
    return f"pred-text2:{slug}"


def stepper(slug: str) -> str:
    """(what the stepper is for, the Stepper): the stage shown on the Prediction page."""
    return f"stepper:{slug}"


def own_run(slug: str) -> str:
    """The model this learner trained (or the class's, lent while they follow)."""
    return f"run:{slug}"


def setting(slug: str, name: str) -> str:
    """A Training setting's field; ``name=""`` gives the prefix every setting of the lesson shares."""
    return f"setting:{slug}:{name}"


def compare(slug: str) -> str:
    return f"compare:{slug}"


def guessing(slug: str) -> str:
    """Guess before each stage: on or off."""
    return f"guess:{slug}"


def guesses(slug: str) -> str:
    """(input, stage index) -> the choice made."""
    return f"guesses:{slug}"


def reveal(slug: str) -> str:
    return f"reveal:{slug}"


def stage_table(slug: str) -> str:
    """Whether the stage's numbers are open as a table."""
    return f"stage-table:{slug}"


def epoch(slug: str, stage: str) -> str:
    """The epoch a stage's time-lapse shows on the Prediction page."""
    return f"epoch:{slug}:{stage}"


def lapse_guesses(slug: str) -> str:
    """(input, stage key) -> the choice made on a time-lapse's question, before watching it."""
    return f"lapse-guesses:{slug}"


def highlight(slug: str, stage: str) -> str:
    """The word (its position) highlighted in a stage's picture."""
    return f"highlight:{slug}:{stage}"


def quiz(slug: str) -> str:
    return f"quiz:{slug}"


def quiz_attempt(slug: str) -> str:
    return f"quiz-attempt:{slug}"


def dataflow_figure(slug: str) -> str:
    """(prediction, its data-flow animation), kept while the prediction is the same."""
    return f"dataflow-figure:{slug}"


def train_log(slug: str) -> str:
    return f"train-log:{slug}"


def train_job(slug: str) -> str:
    return f"train-job:{slug}"


def train_cancelled(slug: str) -> str:
    return f"train-cancelled:{slug}"


def train_history(slug: str) -> str:
    return f"train-history:{slug}"


def train_note(slug: str) -> str:
    """How the last run ended when it ended without a model: (kind, text)."""
    return f"train-note:{slug}"


def train_restored(slug: str) -> str:
    return f"train-restored:{slug}"


def class_model(slug: str) -> str:
    """The run key of the model a teacher lends the class ("" for the lesson's own)."""
    return f"class-model:{slug}"


def class_pick(source: str, slug: str) -> str:
    """The teacher's choice among the questions of ``source`` (the lesson's or the run's) to ask the class."""
    return f"class-pick:{source}:{slug}"


def class_answer(question_id: int) -> str:
    """A learner's choice for the class's open question, in the class bar's popover."""
    return f"class-answer-{question_id}"


def class_guess(question_id: int) -> str:
    """A learner's choice for the class's guess, on the Prediction page in place of the stage it hides."""
    return f"class-guess-{question_id}"


def class_model_pick(slug: str) -> str:
    return f"class-model-pick:{slug}"


def cancel(slug: str) -> str:
    return f"cancel:{slug}"


def upload(slug: str) -> str:
    """A learner's own data file on the Training page."""
    return f"data:{slug}"


def settings_form(slug: str) -> str:
    return f"settings-{slug}"


def restore(slug: str, index: int) -> str:
    return f"restore:{slug}:{index}"


def canvas(slug: str) -> str:
    """The drawing canvas of a lesson that reads images (its last stroke's picture)."""
    return f"canvas:{slug}"


def drawing_problem(slug: str) -> str:
    """Why the last drawing could not be used, shown until the next one."""
    return f"pred-problem:{slug}"
