"""Report tests: a real graded run to export and assert on."""

from tests.projects.graded import graded_run

__all__ = ["graded_run"]
