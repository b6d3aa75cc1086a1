"""Python checks: a team's own function, `module:function`, imported from beside the suite.

The function is called as `fn(output, example)` and returns a bool, a `(bool, reason)`
pair or a `CheckResult`. If it raises, that output fails the check with the exception as
the reason: a bug in one custom check must not stop a run of thousands of calls.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from fieldeval.checks.check import Check
from fieldeval.errors import SuiteError
from fieldeval.records.check_result import CheckResult
from fieldeval.records.example import Example

CheckFunction = Callable[[str, Example], object]


@dataclass(frozen=True, slots=True, kw_only=True)
class PythonCheck(Check):
    function: CheckFunction
    name: str  # "module:function", for reasons

    def __call__(self, output: str, example: Example) -> CheckResult:
        try:
            returned = self.function(output, example)
        except Exception as error:  # the team's code may raise anything; it fails one output
            return self.result(False, f"{self.name} raised {type(error).__name__}: {error}")
        return self._interpret(returned)

    def _interpret(self, returned: object) -> CheckResult:
        if isinstance(returned, bool):
            return self.result(returned, f"{self.name} returned {returned}")
        if isinstance(returned, CheckResult):
            return replace(returned, check_id=self.id)
        if (
            isinstance(returned, tuple)
            and len(returned) == 2
            and isinstance(returned[0], bool)
            and isinstance(returned[1], str)
        ):
            return self.result(returned[0], returned[1])
        return self.result(
            False,
            f"{self.name} returned {returned!r:.40}; "
            "expected a bool, a (bool, reason) pair or a CheckResult",
        )


def load_function(reference: str, *, base_dir: Path, check_id: str) -> CheckFunction:
    """Import `module:function` with `base_dir` first on `sys.path`."""
    module_name, _, attribute = reference.partition(":")
    with _first_on_path(base_dir):
        importlib.invalidate_caches()  # the module may have been written since the last import
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name is None or not _is_or_parent(error.name, module_name):
                raise _import_failed(check_id, module_name, error) from error
            raise SuiteError(
                f"check {check_id!r}: no module named {module_name!r}",
                hint=f"put {module_name.replace('.', '/')}.py in {base_dir} (beside the suite) "
                "or install it in this environment",
            ) from error
        except Exception as error:  # importing runs the team's code, which may raise anything
            raise _import_failed(check_id, module_name, error) from error
    target: object = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            public = sorted(name for name in vars(module) if not name.startswith("_"))
            raise SuiteError(
                f"check {check_id!r}: module {module_name!r} has no {attribute!r}",
                hint=f"it defines: {', '.join(public) or '(nothing public)'}",
            )
        target = getattr(target, part)
    if not callable(target):
        raise SuiteError(f"check {check_id!r}: {reference!r} is not a function")
    return target


def _is_or_parent(name: str, module_name: str) -> bool:
    return module_name == name or module_name.startswith(name + ".")


def _import_failed(check_id: str, module_name: str, error: BaseException) -> SuiteError:
    return SuiteError(
        f"check {check_id!r}: importing {module_name!r} failed: {type(error).__name__}: {error}"
    )


@contextmanager
def _first_on_path(directory: Path) -> Iterator[None]:
    entry = str(directory.resolve())
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        sys.path.remove(entry)
