"""Judge tests: the fake model server as a judge, and a project graded by it."""

from tests.projects.judge import project, server

__all__ = ["project", "server"]
