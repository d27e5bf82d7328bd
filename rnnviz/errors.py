"""The one error type the pages catch and show with ``st.error``."""


class InputError(ValueError):
    """Bad input from the student: the message says what to do instead.

    Raised by every backend entry point for empty or oversized text, impossible sizes,
    bad learning rates and the like. Pages catch it and show ``str(err)``; anything
    else is a bug.
    """
