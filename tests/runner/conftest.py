"""Runner tests: one fake model server per module, and small suites on disk."""

from tests.projects.suite_files import server, suite_files

__all__ = ["server", "suite_files"]
