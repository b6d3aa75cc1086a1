"""Providers: one small async protocol, one module per kind of candidate.

Only this package speaks HTTP to models. Each provider is imported when first asked for, so
an unused one costs nothing at start-up and a missing optional extra fails only when used.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from fieldeval.providers.base import Provider
from fieldeval.providers.registry import Capabilities, capabilities, providers
from fieldeval.records.run import RunInfo
from fieldeval.suite.candidates import CandidateBase

__all__ = [
    "Capabilities",
    "Provider",
    "candidate_warnings",
    "capabilities",
    "create_provider",
    "providers",
]


def candidate_warnings(
    candidates: Sequence[CandidateBase],
    *,
    base_dir: Path,
    example_ids: Collection[str] | None = None,
) -> list[str]:
    """What each candidate's kind finds wrong before any call (a recorded file that does not
    read or answers examples the dataset lacks, a key variable not set): `validate`'s, the
    dry run's and the run's warnings."""
    return [
        warning
        for candidate in candidates
        for warning in providers()[candidate.provider].check(
            candidate, base_dir=base_dir, example_ids=example_ids
        )
    ]


def sharing_a_server(run: RunInfo) -> list[tuple[str, ...]]:
    """The run's candidates one server answered together (two or more local candidates on
    the same model), as its suite then stood: each one's latency includes waiting for the
    others' requests."""
    from fieldeval.suite.schema import Suite

    base_dir = Path(run.suite_path).parent
    candidates = [c for c in Suite.model_validate(run.suite).candidates if c.id in run.candidates]
    groups: dict[tuple[str, ...], list[str]] = {}
    for candidate in candidates:
        key = providers()[candidate.provider].server_key(candidate, base_dir=base_dir)
        if key is not None:
            groups.setdefault(key, []).append(candidate.id)
    return [tuple(ids) for ids in groups.values() if len(ids) > 1]


def create_provider(candidate: CandidateBase, *, base_dir: Path, calls: bool = True) -> Provider:
    """The provider for a candidate, built-in or from a plugin (`providers()` lists them).

    With `calls=False` (a dry run) it will never call a model, so a built-in provider
    whose API key is not set is still built.
    """
    if calls:
        return providers()[candidate.provider].create(candidate, base_dir=base_dir)
    # Imported here: aiohttp comes with it, and a python or recorded candidate needs none.
    from fieldeval.providers._transport import building_without_calls

    with building_without_calls():
        return providers()[candidate.provider].create(candidate, base_dir=base_dir)
