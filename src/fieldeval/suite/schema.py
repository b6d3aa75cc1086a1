"""The suite file's schema: task, dataset, candidates and checks, validated by pydantic."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from fieldeval.suite.checks import CheckBase, CheckSpec, with_unique_ids
from fieldeval.suite.economics import Leaderboard, Volume
from fieldeval.suite.edges import Edges
from fieldeval.suite.failure_modes import FailureMode, unique_modes, weights_with_defaults
from fieldeval.suite.rubric import Criterion, Judge, unique_criteria

_ID = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"


class Strict(BaseModel):
    """Unknown keys are errors: a typo must never be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ChatMessage(Strict):
    role: Literal["system", "user", "assistant"]
    content: str = Field(description="A Jinja2 template over the example's fields.")


class Prompt(Strict):
    """One user template, a list of chat messages (each a template), or a conversation.

    `conversation` names a field that holds an OpenAI-style messages list (chat-log data);
    those messages are sent as they are, never rendered as templates.
    """

    template: str | None = None
    messages: tuple[ChatMessage, ...] | None = None
    conversation: str | None = None
    system: str | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Prompt:
        forms = [f for f in (self.template, self.messages, self.conversation) if f is not None]
        if len(forms) != 1:
            raise ValueError(
                "give the prompt as a template string, as `messages`, or as `conversation`"
                " (the field holding a chat log): exactly one of them"
            )
        return self


def _prompt_from_yaml(value: Any) -> Any:
    # `prompt: "text {{ x }}"` and `prompt: [{role:.., content:..}]` are the common forms.
    if isinstance(value, str):
        return {"template": value}
    if isinstance(value, list):
        return {"messages": value}
    return value


PromptField = Annotated[Prompt, Field(description="template string or chat messages")]


class Task(Strict):
    name: str = Field(pattern=_ID)
    description: str = Field(min_length=1, description="The written task statement.")
    prompt: PromptField

    _coerce_prompt = field_validator("prompt", mode="before")(_prompt_from_yaml)


class Sample(Strict):
    n: int = Field(gt=0)
    stratify: str | None = None
    seed: int = 0


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
    sample: Sample | None = None


class Price(Strict):
    """US dollars per million tokens, plus an optional fixed price per call."""

    input_per_mtok: float = Field(0.0, ge=0)
    output_per_mtok: float = Field(0.0, ge=0)
    cached_input_per_mtok: float | None = Field(None, ge=0)
    reasoning_per_mtok: float | None = Field(None, ge=0)
    per_call: float = Field(0.0, ge=0)


class RateLimit(Strict):
    rpm: float | None = Field(None, gt=0, description="requests per minute")
    tpm: float | None = Field(None, gt=0, description="tokens per minute (input + output)")


class Retry(Strict):
    attempts: int = Field(4, ge=1, description="calls in all, the first included")
    backoff_s: float = Field(0.5, ge=0, description="first wait; doubles each time, with jitter")
    max_backoff_s: float = Field(30.0, ge=0)


class CandidateBase(Strict):
    provider: str  # each kind narrows it to its own Literal, the union's discriminator
    id: str = Field(pattern=_ID)
    prompt: PromptField | None = Field(None, description="Overrides the task's prompt.")
    params: dict[str, Any] = Field(default_factory=dict)
    concurrency: int = Field(4, ge=1, le=1024)
    rate_limit: RateLimit | None = None
    retry: Retry = Retry()
    timeout_s: float = Field(120.0, gt=0)
    price: Price | None = None

    _coerce_prompt = field_validator("prompt", mode="before")(_prompt_from_yaml)


class OpenAICandidate(CandidateBase):
    provider: Literal["openai"]
    model: str
    base_url: str = "https://api.openai.com/v1"
    api_key_env: str | None = Field("OPENAI_API_KEY", description="env var holding the key")
    stream: bool = True


class AnthropicCandidate(CandidateBase):
    provider: Literal["anthropic"]
    model: str
    base_url: str = "https://api.anthropic.com"
    api_key_env: str = "ANTHROPIC_API_KEY"
    stream: bool = True


class LocalCandidate(CandidateBase):
    provider: Literal["local"]
    model: str = Field("gemma3-270m", description="the bundled model, or a path to a GGUF file")
    threads: int | None = Field(None, ge=1)
    context: int = Field(4096, ge=256)
    stream: bool = True


class HttpCandidate(CandidateBase):
    """The team's own app: a JSON request template and a JSONPath to the answer."""

    provider: Literal["http"]
    url: str
    method: Literal["POST", "PUT", "GET"] = "POST"
    headers: dict[str, str] = Field(
        default_factory=dict, description="values may name env vars as ${NAME}"
    )
    body: Any = Field(None, description="JSON body; strings are templates over the example")
    response_path: str = Field("$", description="JSONPath to the answer text")


class PythonCandidate(CandidateBase):
    provider: Literal["python"]
    function: str = Field(description="module:function, sync or async, called with the request")

    @field_validator("function")
    @classmethod
    def _module_colon_function(cls, value: str) -> str:
        if not re.fullmatch(r"[\w.]+:[\w.]+", value):
            raise ValueError("expected 'module:function', e.g. 'my_app.bot:answer'")
        return value


class CommandCandidate(CandidateBase):
    provider: Literal["command"]
    command: tuple[str, ...] = Field(description="argv; the prompt goes to stdin")

    @field_validator("command", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            import shlex

            return shlex.split(value)
        return value


class RecordedCandidate(CandidateBase):
    """Outputs the app already gave, read from a file and matched by example id."""

    provider: Literal["recorded"]
    path: str = Field(description="the file of outputs, relative to the suite's folder")
    format: Literal["auto", "csv", "jsonl", "json", "chat"] = "auto"
    id_field: str = Field("id", description="field holding the example id")
    output_field: str = Field("output", description="the output; chat logs: last assistant turn")
    latency_field: str | None = Field(None, description="field holding latency in milliseconds")
    input_tokens_field: str | None = None
    output_tokens_field: str | None = None
    encoding: str | None = None


Candidate = Annotated[
    OpenAICandidate
    | AnthropicCandidate
    | LocalCandidate
    | HttpCandidate
    | PythonCandidate
    | CommandCandidate
    | RecordedCandidate,
    Field(discriminator="provider"),
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


class LoadTargets(Strict):
    """Latency targets a load level must meet; each one also bounds a "good" request."""

    ttft_p50_ms: float | None = Field(None, gt=0)
    ttft_p95_ms: float | None = Field(None, gt=0)
    ttft_p99_ms: float | None = Field(None, gt=0)
    e2e_p50_ms: float | None = Field(None, gt=0)
    e2e_p95_ms: float | None = Field(None, gt=0)
    e2e_p99_ms: float | None = Field(None, gt=0)
    tpot_p95_ms: float | None = Field(None, gt=0)
    max_error_rate: float = Field(0.01, ge=0, le=1)


class Load(Strict):
    """How `fieldeval load` drives one candidate: the load levels, their timing and targets."""

    candidate: str | None = Field(None, description="candidate id; default the first")
    mode: Literal["closed", "open"] = "closed"
    users: tuple[int, ...] = Field((1, 2, 4, 8), description="closed loop: users per level")
    think_time_s: float = Field(0.0, ge=0)
    rates: tuple[float, ...] = Field((), description="open loop: requests per second per level")
    arrival: Literal["constant", "poisson", "gamma"] = "poisson"
    burstiness: float = Field(1.0, gt=0, description="gamma shape; below 1 is burstier")
    max_concurrency: int | None = Field(None, ge=1, description="open loop: in-flight cap")
    duration_s: float = Field(30.0, gt=0, description="the measured (steady) window per level")
    warmup_s: float = Field(5.0, ge=0)
    ramp_s: float = Field(0.0, ge=0, description="the load rises linearly over this, in warmup")
    cooldown_s: float = Field(2.0, ge=0)
    prompts: Literal["dataset", "synthetic"] = "dataset"
    input_tokens: int = Field(200, ge=1, description="synthetic prompts: about this many")
    output_tokens: int = Field(100, ge=1, description="synthetic prompts: max_tokens")
    targets: LoadTargets = LoadTargets()
    seed: int = 0

    @model_validator(mode="after")
    def _ramp_within_warmup(self) -> Load:
        # A ramp that ran on into the steady window would measure a load still rising.
        if self.ramp_s > self.warmup_s:
            raise ValueError(
                f"ramp_s ({self.ramp_s:g} s) must be at most warmup_s ({self.warmup_s:g} s): "
                "the load ramps up during the warm-up, so the measured window sees all of it"
            )
        return self


PROVIDERS = ("openai", "anthropic", "local", "http", "python", "command", "recorded")


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
    gate: Gate = Gate()
    load: Load = Load()
    volume: Volume | None = None
    leaderboards: tuple[Leaderboard, ...] = ()
    edges: Edges | None = None

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
                raise ValueError(
                    f"failure mode {mode.id!r} names check {mode.check!r}, which the suite does"
                    f" not have (checks: {', '.join(sorted(checks)) or 'none'})"
                )
            if mode.criterion is not None and mode.criterion not in criteria:
                raise ValueError(
                    f"failure mode {mode.id!r} names criterion {mode.criterion!r}, which the"
                    f" rubric does not have (criteria: {', '.join(sorted(criteria)) or 'none'})"
                )
        return self

    @property
    def weights(self) -> dict[str, float]:
        """Severity weights, the suite's over the defaults."""
        return weights_with_defaults(self.severity_weights)

    @model_validator(mode="after")
    def _rubric_names_known_candidates(self) -> Suite:
        known = {candidate.id for candidate in self.candidates}
        for criterion in self.rubric:
            for name in criterion.applies_to.candidates:
                if name not in known:
                    raise ValueError(
                        f"criterion {criterion.id!r} applies to {name!r}, which is not a candidate"
                        f" (candidates: {', '.join(sorted(known))})"
                    )
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
