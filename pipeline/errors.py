"""The error every check of a learner's input raises, in a module with no imports: pages and the file
helpers that only read and write import it without pulling in torch."""


class InputError(ValueError):
    """Input a learner typed or uploaded that the lesson cannot use, with a message saying why."""
