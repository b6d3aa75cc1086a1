"""Results tests: a bot project whose runs are saved straight to the store."""

from tests.projects.bot import project

__all__ = ["project"]
