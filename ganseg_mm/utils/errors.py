"""The two errors the tools report as one line and exit status 2: bad input
data, and a config setting that cannot work."""


class DataValidationError(ValueError):
    """Bad input data. The message names the offending file or directory.

    ``tools/train.py`` and ``tools/test.py`` print it as one line and exit
    with status 2, also when it was raised inside a dataloader worker.
    """


class ConfigError(ValueError):
    """A config setting that cannot work (an argument out of range, settings
    that contradict each other, class counts that disagree). The message names
    the setting and, where one exists, the value that would work.

    Raised while components are built, before any iteration; the tools print
    it as one line and exit with status 2. A ``ValueError``, so code that
    builds components directly can keep catching that.
    """


def error_message(exc: BaseException) -> str:
    """The user-facing line of a :class:`DataValidationError` or
    :class:`ConfigError`.

    A dataloader worker re-raises the error in the main process with the
    worker's traceback prepended to the message; keep only the original text.
    """
    text = str(exc)
    for cls in (DataValidationError, ConfigError):
        marker = cls.__name__ + ': '
        if marker in text:
            text = text.rsplit(marker, 1)[1]
    return text.strip()
