"""What the suite says about money and the outside world: traffic volume and public scores."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Volume(_Strict):
    """The production traffic a cost is projected at."""

    requests_per_month: int = Field(gt=0)
    low: int | None = Field(None, gt=0, description="a low-traffic scenario, requests a month")
    high: int | None = Field(None, gt=0, description="a high-traffic scenario, requests a month")
    judged_share: float = Field(
        0.0, ge=0, le=1, description="share of production requests the judge grades online"
    )
    fixed_monthly_usd: float = Field(0.0, ge=0, description="hosting, seats: paid at any volume")

    @model_validator(mode="after")
    def _scenarios_around_expected(self) -> Volume:
        if self.low is not None and self.low > self.requests_per_month:
            raise ValueError("volume.low must be at most requests_per_month")
        if self.high is not None and self.high < self.requests_per_month:
            raise ValueError("volume.high must be at least requests_per_month")
        return self


class Leaderboard(_Strict):
    """Public scores the team used to build its shortlist, set beside its own ranking."""

    name: str = Field(min_length=1, description="e.g. MMLU, LMArena text")
    scores: dict[str, float] = Field(min_length=1, description="candidate id -> public score")
    higher_is_better: bool = True
    source: str | None = Field(None, description="where the scores come from, and when")
