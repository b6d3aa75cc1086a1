"""The one console every command prints to, and small wording helpers they share."""

from __future__ import annotations

import os
import sys

from rich.console import Console

# Piped output gets a width that fits the tables instead of rich's 80 columns ($COLUMNS wins).
_PIPED_WIDTH = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 120
console = Console(highlight=False, width=_PIPED_WIDTH)


def count(n: int, noun: str) -> str:
    """`1 example`, `2 examples`."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
