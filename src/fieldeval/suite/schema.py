"""The suite file's schema: task, dataset, candidates and checks, validated by pydantic."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import BeforeValidator, Field, TypeAdapter, field_validator, model_validator

from fieldeval.errors import ConfigError
from fieldeval.suite import candidates, checks
from fieldeval.suite.abstention import ABSTENTION_MODE_IDS, Abstention
from fieldeval.suite.candidates import CandidateBase, discriminator, provider_name
from fieldeval.suite.checks import CheckBase, short_form, with_unique_ids
from fieldeval.suite.economics import Leaderboard, Volume
from fieldeval.suite.edges import Edges, TaskKind
from fieldeval.suite.failure_modes import (
    FailureMode,
    SeverityName,
    unclassified_mode,
    unique_modes,
    weights_with_defaults,
)
from fieldeval.suite.labels import Labels
from fieldeval.suite.load import Load
from fieldeval.suite.plugins import check_plugins, provider_plugins
from fieldeval.suite.prompt import ID, Prompt, PromptField, Strict, prompt_from_yaml
from fieldeval.suite.rubric import Criterion, Judge, unique_criteria


class Task(Strict):
    name: str = Field(pattern=ID)
    description: str = Field(min_length=1, description="The written task statement.")
    prompt: PromptField
    kind: TaskKind | None = Field(
        None,
        description="classifier, extractor, writer or assistant: which edge-case expectations"
        " fit; default: classifier when the reference holds labels, else assistant",
    )

    _coerce_prompt = field_validator("prompt", mode="before")(prompt_from_yaml)


class Sample(Strict):
    n: int = Field(gt=0)
    stratify: str | None = None
    seed: int = 0


class ProductionWeights(Strict):
    """The fields of a sample drawn from production (`fieldeval sample`) that weight it back."""

    weight: str = Field("production_weight", description="production calls the example stands for")
    stratum: str = Field("stratum", description="the stratum it was drawn in")
    stratum_size: str | None = Field(
        "stratum_calls", description="its stratum's production calls N_h (post-stratification)"
    )
    fraction: str | None = Field(
        "stratum_fraction",
        description="the share of its stratum's calls measured (finite population correction)",
    )


class DatasetSpec(Strict):
    path: str
    format: Literal["auto", "csv", "jsonl", "json", "chat"] = "auto"
    id: str | None = Field(None, description="Field holding a stable id; else a content hash.")
    input: str | None = Field(None, description="The field shown as the example's input.")
    reference: str | None = Field(None, description="Field holding a reference answer.")
    slices: tuple[str, ...] = ()
    cluster: str | None = Field(
        None, description="Field grouping related examples (same document, same template)."
    )
    encoding: str | None = None
    where: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="keep only the rows whose field holds one of these values (before sampling)",
    )
    sample: Sample | None = None
    production: ProductionWeights | None = Field(
        None, description="report every rate weighted to production too (docs/production.md)"
    )

    @field_validator("where", mode="before")
    @classmethod
    def _values_as_text(cls, where: Any) -> Any:
        # Rows are compared as text: `stars: 5` keeps the rows whose stars read "5".
        if not isinstance(where, dict):
            return where
        found = {}
        for name, values in where.items():
            if isinstance(values, str | int | float | bool):
                values = [values]
            found[name] = [str(v) for v in values] if isinstance(values, list) else values
        return found


# The kinds of candidate and check a suite may name: the built-in ones, then plugins'.
CANDIDATE_KINDS: tuple[type[CandidateBase], ...] = (
    *candidates.BUILT_IN,
    *(plugin.value.spec for plugin in provider_plugins()),
)
CHECK_KINDS: tuple[type[CheckBase], ...] = (
    *checks.BUILT_IN,
    *(plugin.value.spec for plugin in check_plugins()),
)
PROVIDERS: tuple[str, ...] = tuple(provider_name(kind) for kind in CANDIDATE_KINDS)
CHECK_TYPES: tuple[str, ...] = tuple(discriminator(kind, "type") for kind in CHECK_KINDS)
for _names in (PROVIDERS, CHECK_TYPES):
    if _clashes := sorted({name for name in _names if _names.count(name) > 1}):
        raise ConfigError(
            f"two kinds answer to {', '.join(_clashes)}: a plugin repeats a built-in name",
            hint="uninstall one of the plugins, or rename its entry point and spec",
        )

if TYPE_CHECKING:
    # For the type checker, every candidate is a `CandidateBase` and every check a
    # `CheckBase`: code narrows with isinstance where a kind's own fields matter.
    Candidate = CandidateBase
    CheckSpec = CheckBase
else:
    Candidate = Annotated[Union[CANDIDATE_KINDS], Field(discriminator="provider")]  # noqa: UP007
    CheckSpec = Annotated[
        Union[CHECK_KINDS],  # noqa: UP007
        Field(discriminator="type"),
        BeforeValidator(short_form(CHECK_TYPES)),
    ]


class Gate(Strict):
    """What `fieldeval gate` fails a build on, besides a regression the data supports."""

    alpha: float = Field(0.05, gt=0, lt=0.5, description="one-sided level for a regression")
    min_pass_rate: float | None = Field(None, ge=0, le=1, description="per candidate")
    min_check_pass_rate: dict[str, float] = Field(
        default_factory=dict, description="check id -> lowest pass rate allowed"
    )
    fail_on_new_critical: bool = Field(
        True, description="fail when an example newly fails a check of severity critical"
    )
    min_production_pass_rate: float | None = Field(
        None,
        ge=0,
        le=1,
        description="per candidate, its pass rate weighted to production (dataset.production)",
    )


class Ready(Strict):
    """When a candidate is ready to ship; each bar is judged with its 95% interval."""

    min_pass_rate: float | None = Field(
        None, ge=0, le=1, description="lowest pass rate; else gate.min_pass_rate"
    )
    max_catastrophic_rate: float | None = Field(
        None, ge=0, le=1, description="highest catastrophic rate; default 0.01"
    )
    min_criterion_rate: dict[str, float] = Field(
        default_factory=dict, description="rubric criterion id -> lowest pass rate"
    )
    min_check_rate: dict[str, float] = Field(
        default_factory=dict, description="check id -> lowest pass rate"
    )
    max_cost_per_request: float | None = Field(
        None, gt=0, description="US dollars, the mean cost of an answered request"
    )
    max_monthly_cost: float | None = Field(
        None, gt=0, description="US dollars a month at `volume.requests_per_month`"
    )

    @field_validator("min_criterion_rate", "min_check_rate")
    @classmethod
    def _rates(cls, bars: dict[str, float]) -> dict[str, float]:
        for name, bar in bars.items():
            if not 0 <= bar <= 1:
                raise ValueError(f"{name}: a rate is between 0 and 1, got {bar}")
        return bars


def _unknown(who: str, kind: str, name: str, known: set[str], where: str = "suite") -> ValueError:
    """`who` names a check or criterion the suite (or its rubric) does not have."""
    plural = {"check": "checks", "criterion": "criteria"}[kind]
    return ValueError(
        f"{who} names {kind} {name!r}, which the {where} does not have"
        f" ({plural}: {', '.join(sorted(known)) or 'none'})"
    )


class Suite(Strict):
    """A whole suite file."""

    version: Literal[1] = 1
    task: Task
    dataset: DatasetSpec
    candidates: tuple[Candidate, ...] = Field(min_length=1)
    checks: tuple[CheckSpec, ...] = ()
    rubric: tuple[Criterion, ...] = ()
    judge: Judge | None = None
    failure_modes: tuple[FailureMode, ...] = ()
    severity_weights: dict[str, float] = Field(
        default_factory=dict, description="weights per severity; defaults 0/1/3/10/50"
    )
    unclassified_severity: SeverityName = Field(
        "major", description="the severity of a failed check or criterion no failure mode names"
    )
    gate: Gate = Gate()
    ready: Ready = Ready()
    load: Load = Load()
    volume: Volume | None = None
    leaderboards: tuple[Leaderboard, ...] = ()
    edges: Edges | None = None
    labels: Labels | None = Field(
        None, description="the reference's labels (a classification task); false: none"
    )
    abstention: Abstention | None = Field(
        None, description="the examples with no answer, and how not answering is counted"
    )

    def judged_criteria(self) -> tuple[Criterion, ...]:
        """The criteria the judge grades after a run; none when it does not grade after runs."""
        if self.judge is None or not self.judge.after_run:
            return ()
        return tuple(criterion for criterion in self.rubric if criterion.judge)

    @field_validator("candidates")
    @classmethod
    def _unique_ids(cls, candidates: tuple[CandidateBase, ...]) -> tuple[CandidateBase, ...]:
        seen: set[str] = set()
        for candidate in candidates:
            if candidate.id in seen:
                raise ValueError(f"candidate id {candidate.id!r} is used twice")
            seen.add(candidate.id)
        return candidates

    @field_validator("checks")
    @classmethod
    def _name_checks(cls, checks: tuple[CheckBase, ...]) -> tuple[CheckBase, ...]:
        return with_unique_ids(checks)

    @field_validator("rubric")
    @classmethod
    def _unique_criteria(cls, rubric: tuple[Criterion, ...]) -> tuple[Criterion, ...]:
        return unique_criteria(rubric)

    @field_validator("failure_modes")
    @classmethod
    def _unique_modes(cls, modes: tuple[FailureMode, ...]) -> tuple[FailureMode, ...]:
        return unique_modes(modes)

    @field_validator("severity_weights")
    @classmethod
    def _known_severities(cls, weights: dict[str, float]) -> dict[str, float]:
        weights_with_defaults(weights)
        if any(weight < 0 for weight in weights.values()):
            raise ValueError("severity weights must not be negative")
        return weights

    @model_validator(mode="after")
    def _modes_name_known_checks(self) -> Suite:
        checks = {str(check.id) for check in self.checks}
        criteria = {criterion.id for criterion in self.rubric}
        for mode in self.failure_modes:
            if mode.check is not None and mode.check not in checks:
                raise _unknown(f"failure mode {mode.id!r}", "check", mode.check, checks)
            if mode.criterion is not None and mode.criterion not in criteria:
                raise _unknown(
                    f"failure mode {mode.id!r}", "criterion", mode.criterion, criteria, "rubric"
                )
        return self

    @model_validator(mode="after")
    def _scopes_name_known_candidates_and_slices(self) -> Suite:
        known = {candidate.id for candidate in self.candidates}
        slices = set(self.dataset.slices)
        scoped = [(f"check {check.id!r}", check.applies_to) for check in self.checks] + [
            (f"criterion {criterion.id!r}", criterion.applies_to) for criterion in self.rubric
        ]
        for what, scope in scoped:
            for name in scope.candidates:
                if name not in known:
                    raise ValueError(
                        f"{what} applies to {name!r}, which is not a candidate"
                        f" (candidates: {', '.join(sorted(known))})"
                    )
            for name in scope.slices:
                if name not in slices:
                    raise ValueError(
                        f"{what} applies to slice {name!r}, which dataset.slices does not list"
                        f" (slices: {', '.join(sorted(slices)) or 'none'}): add it there"
                    )
        return self

    @model_validator(mode="after")
    def _ready_names_known_bars(self) -> Suite:
        checks = {str(check.id) for check in self.checks}
        criteria = {criterion.id for criterion in self.rubric}
        for kind, names, known in (
            ("check", self.ready.min_check_rate, checks),
            ("criterion", self.ready.min_criterion_rate, criteria),
        ):
            for name in names:
                if name not in known:
                    raise _unknown("ready", kind, name, known)
        if self.ready.max_monthly_cost is not None and self.volume is None:
            raise ValueError(
                "ready.max_monthly_cost needs `volume:` (requests_per_month) to project a month"
            )
        return self

    @model_validator(mode="after")
    def _abstention_modes_are_fieldevals(self) -> Suite:
        if self.abstention is not None and self.abstention.judge and self.judge is None:
            raise ValueError("abstention.judge: true needs a `judge:` section to ask")
        if self.abstention is not None:
            for mode in self.failure_modes:
                if mode.id in ABSTENTION_MODE_IDS:
                    raise ValueError(
                        f"failure mode id {mode.id!r} is fieldeval's own under `abstention:`:"
                        f" choose another id, or set abstention's severities"
                    )
        return self

    @model_validator(mode="after")
    def _labels_need_a_reference(self) -> Suite:
        if self.labels is not None and self.labels.values and self.dataset.reference is None:
            raise ValueError(
                "labels: needs dataset.reference, the field that holds each example's label"
            )
        return self

    @property
    def counted_modes(self) -> tuple[FailureMode, ...]:
        """The modes a run's failures are counted under: the suite's own, then `unclassified`
        for a failed check or criterion none of them names (when there are checks or a rubric
        to fail), so that a failure never counts as none. With `abstention:`, its three modes
        (over-abstained, answered the unanswerable, broke format) come before `unclassified`."""
        own = self.abstention.modes() if self.abstention is not None else ()
        if not (self.checks or self.rubric):
            return (*self.failure_modes, *own)
        return (*self.failure_modes, *own, unclassified_mode(self.unclassified_severity))

    @property
    def weights(self) -> dict[str, float]:
        """Severity weights, the suite's over the defaults."""
        return weights_with_defaults(self.severity_weights)

    @model_validator(mode="after")
    def _others_name_known_candidates(self) -> Suite:
        known = {candidate.id for candidate in self.candidates}
        if self.judge is not None:
            self.judge_candidate()
        translator = self.edges.translator if self.edges is not None else None
        if translator is not None and translator not in known:
            raise ValueError(
                f"edges.translator {translator!r} is not a candidate"
                f" (candidates: {', '.join(sorted(known))})"
            )
        for board in self.leaderboards:
            for name in board.scores:
                if name not in known:
                    raise ValueError(
                        f"leaderboard {board.name!r} scores {name!r}, which is not a candidate"
                        f" (candidates: {', '.join(sorted(known))})"
                    )
        return self

    def judge_candidate(self) -> CandidateBase:
        """The judge's candidate entry: one of the suite's candidates, or its own."""
        if self.judge is None:
            raise ValueError("the suite has no `judge:` section")
        chosen = self.judge.candidate
        if isinstance(chosen, str):
            for candidate in self.candidates:
                if candidate.id == chosen:
                    return candidate
            known = ", ".join(candidate.id for candidate in self.candidates)
            raise ValueError(
                f"judge.candidate {chosen!r} is not a candidate (candidates: {known});"
                " name one, or give the judge its own entry with `provider:`"
            )
        entry: CandidateBase = TypeAdapter(Candidate).validate_python(chosen)
        return entry

    def prompt_for(self, candidate: CandidateBase) -> Prompt:
        return candidate.prompt or self.task.prompt
