"""What the run's latencies are not: words shared by the terminal and the web run page."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def shared_server_note(candidates: Sequence[str], suite_path: str) -> str:
    """Why the latencies of candidates that shared one server are not theirs alone."""
    names = ", ".join(candidates[:-1]) + f" and {candidates[-1]}"
    return (
        f"latency: {names} were answered by one local server, taking turns in its slots, so"
        " each one's latency includes waiting for the others' requests; `fieldeval load"
        f" {_shown(suite_path)} --candidate ID` measures one candidate alone"
    )


def _shown(suite_path: str) -> str:
    """The suite's path as the user would type it here: relative when below this folder."""
    path = Path(suite_path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return suite_path
