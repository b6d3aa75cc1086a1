"""Every error fieldeval raises on purpose, and the exit code each one maps to.

    FieldevalError                 base; never raised directly
    ├── UserError                  bad input the user can fix (exit 2)
    │   ├── SuiteError             the suite file: YAML, schema, templates
    │   ├── DataError              dataset files: encoding, columns, ids
    │   └── ConfigError            missing extra, missing API key, bad option
    ├── ProviderError              a model call that failed (stored as data, never a crash)
    ├── StoreError                 the results store (exit 1)
    ├── GateFailed                 `fieldeval gate` found a regression the data supports (exit 1)
    ├── NothingAnswered            a run stored, but not one call was answered (exit 3)
    └── Interrupted                Ctrl-C during a run (exit 130)

The CLI maps them to exit codes in one place (`fieldeval.cli.main`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FieldevalError(Exception):
    """Base class for errors fieldeval raises on purpose."""

    exit_code = 1
    label = "error"  # how the CLI introduces the message

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message}\n  hint: {self.hint}"


class UserError(FieldevalError):
    """Input the user can fix; the message says where and how."""

    exit_code = 2


class SuiteError(UserError):
    """A suite file that cannot be loaded or validated."""


class DataError(UserError):
    """A dataset file that cannot be read as asked."""


class ConfigError(UserError):
    """A missing extra, environment variable or invalid option."""


class StoreError(FieldevalError):
    """The results store cannot be opened or written."""


class GateFailed(FieldevalError):
    """The gate failed: a regression, critical failures or a threshold the data supports."""

    exit_code = 1  # a verdict on the change, unlike the user errors (2) a CI step must tell apart


class NothingAnswered(FieldevalError):
    """Every call of a run failed: the run and its errors are stored, but nothing was measured.

    A server that is down, a wrong `base_url` or a rejected key looks like this; a CI step
    must not read it as a run that passed nothing, nor as a bad suite (exit 2).
    """

    exit_code = 3


class Interrupted(FieldevalError):
    """The user stopped a run (Ctrl-C); what finished is stored."""

    exit_code = 130
    label = "stopped"


class ErrorKind(StrEnum):
    """Why a model call failed; stored with the output."""

    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    BAD_RESPONSE = "bad_response"
    CLIENT_ERROR = "client_error"
    APP_ERROR = "app_error"
    NOT_RECORDED = "not_recorded"  # a recorded candidate has no output for the example


RETRYABLE_KINDS = frozenset(
    {
        ErrorKind.RATE_LIMITED,
        ErrorKind.SERVER_ERROR,
        ErrorKind.TIMEOUT,
        ErrorKind.CONNECTION,
        ErrorKind.BAD_RESPONSE,
    }
)


@dataclass
class ProviderError(FieldevalError):
    """A model call that failed. The runner retries it or stores it as an error."""

    message: str
    kind: ErrorKind
    status: int | None = None
    retry_after: float | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE_KINDS

    def __str__(self) -> str:
        status = f" (HTTP {self.status})" if self.status is not None else ""
        return f"{self.kind.value}{status}: {self.message}"
