"""Edge cases per generator and candidate: correct, graceful and catastrophic, beside clean.

Every rate is over the replies to variants that were graded (an outcome stored), with a
95% Wilson interval; replies no oracle could decide (no judge) are counted apart as
ungraded, never guessed. Beside each row stand the same candidate's results on the clean
originals those variants were made from: their check pass rate and, when the judge checked
them, how often the plain task was refused (over-refusal, which an edge case must never
hide). Definitions are in docs/edges.md.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from fieldeval.edges.clean_view import is_variant
from fieldeval.edges.turn_results import TurnRow, summarize_turns
from fieldeval.notation import truncate
from fieldeval.records.run import OutputKey, RunInfo, StoredExample, StoredOutput
from fieldeval.stats.intervals import Rate, wilson
from fieldeval.store import Store
from fieldeval.store.edge_store import CLEAN_GENERATOR, EdgeStore, StoredEdgeOutcome
from fieldeval.store.turn_store import StoredTurn, TurnStore

ALL = "all"  # the generator of a candidate's total row
# The catastrophic kinds, worst first: the ones to read before anything else.
WORST_FIRST = (
    "leaked",
    "followed_injection",
    "confidently_wrong",
    "mirrored_hostility",
    "off_task",
    "broke_format",
    "wrong_language",
)
EXCERPT_CHARS = 300
CONVERSATION_GENERATORS = frozenset({"long_conversation"})


@dataclass(frozen=True)
class EdgeRow:
    """One candidate on one generator's variants (or on all of them: generator "all")."""

    candidate_id: str
    generator: str
    expect: str  # the generator's expectation; "" on a total row
    replies: int  # variant outputs in the run: answered and errors
    errors: int  # variant calls that failed after their retries
    ungraded: int  # answered, but no oracle decided (no judge, or no usable answer)
    correct: Rate  # of the graded replies
    graceful: Rate
    catastrophic: Rate
    clean_pass: Rate  # the same candidate's check pass rate on these variants' originals
    over_refusal: Rate | None  # those originals' replies that refused; None: never checked

    @property
    def graded(self) -> int:
        return self.correct.n


@dataclass(frozen=True)
class EdgeExcerpt:
    """A catastrophic reply to read first, with the variant's input and what decided it."""

    candidate_id: str
    example_id: str
    repeat: int
    generator: str
    original_id: str
    kind: str
    oracle: str
    reason: str
    input: str  # untrusted: the variant's text
    output: str  # untrusted: the model's text


@dataclass(frozen=True)
class EdgeReport:
    run_id: str
    rows: tuple[EdgeRow, ...]  # per candidate (run order), per generator (dataset order)
    totals: tuple[EdgeRow, ...]  # one per candidate
    worst: tuple[EdgeExcerpt, ...]  # catastrophic replies, worst kind first
    variants: int  # variant examples in the dataset
    seeds: int  # clean originals they were made from
    judged: bool  # some outcome was decided by the judge
    notes: tuple[str, ...]  # what is not measured
    warnings: tuple[str, ...] = ()  # what makes the judge's share of the rates unsafe to read
    # Conversations replayed turn by turn (`fieldeval edges SUITE --turns`), per candidate.
    turns: tuple[TurnRow, ...] = ()

    def rows_of(self, candidate_id: str) -> tuple[EdgeRow, ...]:
        return tuple(row for row in self.rows if row.candidate_id == candidate_id)


def edge_report(
    store: Store,
    run_id: str,
    *,
    worst: int = 10,
    turn_checks: Collection[str] = (),
    examples: Sequence[StoredExample] | None = None,
) -> EdgeReport | None:
    """The run's edge-case results from the store; None when its dataset has no variants.

    `turn_checks`: the check ids a replayed turn must pass to hold (default all).
    `examples`: the run's dataset when the caller has read it already.
    """
    run = store.run(run_id)
    if examples is None:
        examples = store.examples(run.dataset_hash)
    if not any(is_variant(example) for example in examples):
        return None
    return summarize_edges(
        run,
        store.outputs(run.id),
        examples,
        EdgeStore(store).outcomes(run.id),
        worst=worst,
        turns=TurnStore(store).turns(run.id),
        turn_checks=turn_checks,
    )


def summarize_edges(
    run: RunInfo,
    outputs: Sequence[StoredOutput],
    examples: Sequence[StoredExample],
    outcomes: Sequence[StoredEdgeOutcome],
    *,
    worst: int = 10,
    turns: Sequence[StoredTurn] = (),
    turn_checks: Collection[str] = (),
) -> EdgeReport:
    """The report from a run's outputs, examples, stored edge outcomes and replayed turns."""
    variants = {e.id: e for e in examples if is_variant(e)}
    generators = list(dict.fromkeys(str(e.fields["edge"]) for e in variants.values()))
    expects = {
        str(e.fields["edge"]): str(e.fields.get("edge_expect", "")) for e in variants.values()
    }
    graded = {OutputKey.of(o): o for o in outcomes}
    rows: list[EdgeRow] = []
    totals: list[EdgeRow] = []
    for candidate in run.candidates:
        mine = [o for o in outputs if o.candidate_id == candidate]
        for generator in generators:
            ids = {i for i, e in variants.items() if e.fields["edge"] == generator}
            rows.append(_row(candidate, generator, expects[generator], mine, ids, variants, graded))
        totals.append(_row(candidate, ALL, "", mine, set(variants), variants, graded))
    seeds = {str(e.fields["edge_of"]) for e in variants.values()}
    return EdgeReport(
        run_id=run.id,
        rows=tuple(rows),
        totals=tuple(totals),
        worst=_worst(outcomes, outputs, variants, worst),
        variants=len(variants),
        seeds=len(seeds),
        judged=any(o.oracle == "judge" for o in outcomes),
        notes=_notes(
            generators,
            graded,
            outcomes,
            replayed=bool(turns),
            ungraded=sum(row.ungraded for row in totals),
        ),
        warnings=judge_warnings(outcomes, variants),
        turns=summarize_turns(turns, run.candidates, turn_checks),
    )


def _row(
    candidate: str,
    generator: str,
    expect: str,
    outputs: Sequence[StoredOutput],
    ids: set[str],
    variants: dict[str, StoredExample],
    graded: dict[OutputKey, StoredEdgeOutcome],
) -> EdgeRow:
    replies = [o for o in outputs if o.example_id in ids]
    outcomes = [graded.get(OutputKey(candidate, o.example_id, o.repeat)) for o in replies if o.ok]
    found = [o for o in outcomes if o is not None and o.generator != CLEAN_GENERATOR]
    n = len(found)
    originals = {str(variants[i].fields["edge_of"]) for i in ids}
    clean = [o for o in outputs if o.example_id in originals and o.ok]
    checked = [
        o
        for o in graded.values()
        if o.candidate_id == candidate
        and o.generator == CLEAN_GENERATOR
        and o.example_id in originals
    ]
    return EdgeRow(
        candidate_id=candidate,
        generator=generator,
        expect=expect,
        replies=len(replies),
        errors=sum(not o.ok for o in replies),
        ungraded=len(outcomes) - n,
        correct=wilson(_count(found, "correct"), n),
        graceful=wilson(_count(found, "graceful"), n),
        catastrophic=wilson(_count(found, "catastrophic"), n),
        clean_pass=wilson(sum(o.passed for o in clean), len(clean)),
        over_refusal=(wilson(_count(checked, "over_refusal"), len(checked)) if checked else None),
    )


def _count(outcomes: Iterable[StoredEdgeOutcome], outcome: str) -> int:
    return sum(o.outcome == outcome for o in outcomes)


def _worst(
    outcomes: Sequence[StoredEdgeOutcome],
    outputs: Sequence[StoredOutput],
    variants: dict[str, StoredExample],
    limit: int,
) -> tuple[EdgeExcerpt, ...]:
    texts = {OutputKey.of(o): o.text or "" for o in outputs}
    bad = [o for o in outcomes if o.outcome == "catastrophic" and o.example_id in variants]
    rank = {kind: i for i, kind in enumerate(WORST_FIRST)}
    bad.sort(key=lambda o: (rank.get(o.kind, len(rank)), o.generator, o.example_id))
    return tuple(
        EdgeExcerpt(
            candidate_id=o.candidate_id,
            example_id=o.example_id,
            repeat=o.repeat,
            generator=o.generator,
            original_id=o.original_id,
            kind=o.kind,
            oracle=o.oracle,
            reason=o.reason,
            input=truncate(variants[o.example_id].input, EXCERPT_CHARS),
            output=truncate(texts.get(OutputKey.of(o), ""), EXCERPT_CHARS),
        )
        for o in bad[:limit]
    )


# Below this many verdicts a judge that gave one class to all of them may simply be right.
CONSTANT_AFTER = 10


def judge_warnings(
    outcomes: Sequence[StoredEdgeOutcome], variants: Collection[str]
) -> tuple[str, ...]:
    """How much of the edge rates is the judge's, which nobody checked against people, and
    whether its classes ever varied."""
    graded = [o for o in outcomes if o.example_id in variants]
    judged = [o for o in graded if o.oracle == "judge"]
    if not judged:
        return ()
    by_rule = Counter(o.oracle for o in graded if o.oracle != "judge")
    rules = ", ".join(f"{oracle} {n}" for oracle, n in sorted(by_rule.items()))
    warnings = [
        f"{len(judged)} of {len(graded)} graded replies were classified by the judge, which is"
        " not calibrated against people: those rates are the judge's own"
        + (f" (the rest by rule: {rules})" if rules else "")
    ]
    kinds = Counter(o.kind for o in judged)
    if len(judged) >= CONSTANT_AFTER and len(kinds) == 1:
        [kind] = kinds
        warnings.append(
            f"the judge classified all {len(judged)} replies it read as {kind!r}: a judge that"
            " never varies tells the replies apart no better than a constant; read some"
            " replies yourself, or use a stronger judge"
        )
    return tuple(warnings)


def _notes(
    generators: Sequence[str],
    graded: dict[OutputKey, StoredEdgeOutcome],
    outcomes: Sequence[StoredEdgeOutcome],
    *,
    replayed: bool = False,
    ungraded: int = 1,
) -> tuple[str, ...]:
    notes = []
    if ungraded and not any(o.oracle == "judge" for o in outcomes):
        notes.append(
            "the replies no deterministic oracle (canary, secret, language, invented facts,"
            " format, the task's reference) decides: they need the judge; give the suite a"
            " `judge:` and run `fieldeval edges SUITE`"
        )
    if not any(o.generator == CLEAN_GENERATOR for o in graded.values()):
        notes.append("over-refusal on the clean originals: checking it needs the judge")
    if CONVERSATION_GENERATORS.intersection(generators) and not replayed:
        notes.append(
            "the turn at which a long conversation's persona or format first broke: only the"
            " final reply is graded (hold the persona); `fieldeval edges SUITE --turns`"
            " replays each conversation turn by turn"
        )
    return tuple(notes)
