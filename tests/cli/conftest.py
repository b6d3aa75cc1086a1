"""CLI tests: the fake model server as a judge, and a project graded by it (for `judge`)."""

from tests.projects.judge import project, server

__all__ = ["project", "server"]
