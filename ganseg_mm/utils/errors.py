"""Error raised for bad dataset input (paths, ids, sizes, corrupt files)."""


class DataValidationError(ValueError):
    """Bad input data. The message names the offending file or directory.

    ``tools/train.py`` and ``tools/test.py`` print it as one line and exit
    with status 2, also when it was raised inside a dataloader worker.
    """


def data_error_message(exc: BaseException) -> str:
    """The user-facing line of a :class:`DataValidationError`.

    A dataloader worker re-raises the error in the main process with the
    worker's traceback prepended to the message; keep only the original text.
    """
    text = str(exc)
    marker = DataValidationError.__name__ + ': '
    if marker in text:
        text = text.rsplit(marker, 1)[1]
    return text.strip()
