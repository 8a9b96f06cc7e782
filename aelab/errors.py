"""Errors a user can fix by changing an argument or a file.

The CLI catches :class:`AelabError` and prints its message as one line, so messages are written as one
complete sentence that names the thing at fault (a file, a source name, a URL).
"""


class AelabError(Exception):
    """Base class for every error aelab raises on purpose (as opposed to a bug)."""


class DataError(AelabError, ValueError):
    """A data source, data file or download could not be used; the message says which and why."""


class ConfigError(AelabError, ValueError):
    """A model or training configuration is invalid; the message names the field and the valid choices."""


class ModelStoreError(AelabError):
    """A model folder is missing, corrupt, tampered with, or has an invalid name."""


class TrainingError(AelabError):
    """Training could not go on (for example the loss became NaN)."""


class JobRefused(AelabError):
    """A background job was not accepted (this session already has as many running and waiting as allowed)."""
