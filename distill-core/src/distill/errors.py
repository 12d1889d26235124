"""The one exception type the user sees."""


class DistillError(Exception):
    """A problem the user can fix, told in one sentence.

    The CLI prints the message alone (no traceback) and exits non-zero; anything else
    that escapes is a bug.
    """
