"""How far the reading of outputs (`abstention.outcomes`) is from a person's: a file of hand
labels, its agreement with fieldeval's outcomes, and where they differ.

    candidate,example,repeat,outcome        repeat is optional (default 0)
    careful,19097994,0,answered
    careful,15355099,0,abstained            outcome: answered, abstained or broke_format

Agreement is the share of labelled outputs on which both say the same outcome (a Wilson 95%
interval) and Cohen's kappa over the three outcomes (`stats.agreement.cohen_kappa`).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from fieldeval.abstention.outcomes import OUTCOMES, Outcome, ReadOutput
from fieldeval.errors import DataError
from fieldeval.records.run import OutputKey
from fieldeval.stats.agreement import cohen_kappa
from fieldeval.stats.intervals import Rate, wilson

_COLUMNS = ("candidate", "example", "outcome")


@dataclass(frozen=True)
class Disagreement:
    key: OutputKey
    person: Outcome
    read: ReadOutput


@dataclass(frozen=True)
class HandAgreement:
    agreed: Rate  # outputs both read the same, of the labelled outputs fieldeval read
    kappa: float | None  # None when undefined (one outcome only on both sides)
    table: Mapping[tuple[Outcome, Outcome], int]  # (person, fieldeval) -> outputs
    disagreements: tuple[Disagreement, ...]
    unmatched: tuple[OutputKey, ...]  # labelled, but no such answered output in the run


def read_hand_labels(path: Path) -> dict[OutputKey, Outcome]:
    """The labels in `path`, by output; a bad file names its line and how to fix it."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"hand labels not found: {path}") from None
    except UnicodeDecodeError as error:
        raise DataError(
            f"{path}: not UTF-8 text (byte {error.start})", hint="save the file as UTF-8"
        ) from None
    reader = csv.DictReader(text.splitlines())
    missing = [name for name in _COLUMNS if name not in (reader.fieldnames or ())]
    if missing:
        raise DataError(
            f"{path}: no {', '.join(missing)} column",
            hint="the header must be: candidate,example,outcome (and optionally repeat)",
        )
    labels: dict[OutputKey, Outcome] = {}
    for line, row in enumerate(reader, start=2):
        outcome = (row.get("outcome") or "").strip()
        if outcome not in OUTCOMES:
            raise DataError(
                f"{path}:{line}: outcome {outcome!r} is not one of {', '.join(OUTCOMES)}"
            )
        repeat = (row.get("repeat") or "0").strip() or "0"
        if not repeat.isdigit():
            raise DataError(f"{path}:{line}: repeat {repeat!r} is not a whole number")
        key = OutputKey(
            (row["candidate"] or "").strip(), (row["example"] or "").strip(), int(repeat)
        )
        if key in labels:
            raise DataError(f"{path}:{line}: {key.ref} is labelled twice")
        labels[key] = cast(Outcome, outcome)
    return labels


def hand_agreement(
    read: Sequence[ReadOutput], labels: Mapping[OutputKey, Outcome]
) -> HandAgreement:
    """fieldeval's outcomes against a person's, on the outputs both read."""
    by_key = {item.key: item for item in read}
    pairs = [(labels[key], by_key[key]) for key in labels if key in by_key]
    table = Counter((person, item.outcome) for person, item in pairs)
    code = {outcome: index for index, outcome in enumerate(OUTCOMES)}
    kappa = cohen_kappa(
        [code[person] for person, _ in pairs],
        [code[item.outcome] for _, item in pairs],
        categories=list(range(len(OUTCOMES))),
    )
    return HandAgreement(
        agreed=wilson(sum(person == item.outcome for person, item in pairs), len(pairs)),
        kappa=kappa,
        table=dict(table),
        disagreements=tuple(
            Disagreement(item.key, person, item) for person, item in pairs if person != item.outcome
        ),
        unmatched=tuple(key for key in labels if key not in by_key),
    )
