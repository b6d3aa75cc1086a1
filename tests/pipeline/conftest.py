"""Pipeline tests: a real graded run to read back as an `Evaluation`."""

from tests.projects.graded import graded_run

__all__ = ["graded_run"]
