"""The schema of a policy pack (``policy_texts/*.yaml``): one document, its articles, and, for a
document that sets up a compensation program, the program's parameters, each citing its article.

A new district's program is a new YAML file and no code: the shapes below cover a single fund with
principal tiers (Jiangbei), fixed splits between several parties (Zhongshan 54:26:16:4), layered public
payers with their own caps (a province plus a city), caps on the covered principal per loan and per
enterprise and on a year's total (Guangzhou), counting only the IP-pledged part of a mixed-collateral
loan with a minimum IP share (Wuhan), and claims triggered by days overdue or by NPL classification.
"""

from decimal import Decimal
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

T = TypeVar("T")

Ratio = Decimal
NplClass = Literal["substandard", "doubtful", "loss"]
Outcome = Literal["ok", "fail", "review"]


class _Strict(BaseModel):
    """Unknown keys refused, values frozen. Each model builds its validator when it first validates, not when
    defined: a start that reads the packs already validated (`bot.policies`) never builds one (issue 14)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Cited(_Strict, Generic[T]):
    """A parameter together with the article (as printed) it comes from."""

    value: T
    article: str


# Each parametrised `Cited` is made at module level (these four, and two after `Choice`), where pydantic registers
# it under its name (``Cited[Decimal]``) in this module, so that a validated pack can be pickled and read back.
CitedAmount = Cited[Decimal]
CitedRatio = Cited[Ratio]
CitedDays = Cited[int]
CitedFlag = Cited[bool]


class Article(_Strict):
    ref: str = Field(min_length=1, description="as printed: 第十一条, （十三）, 3")
    title: str = Field(min_length=1)
    title_en: str | None = Field(default=None, description="an English title in our own words, for English questions")
    summary_en: str | None = Field(default=None, description="a one-paragraph English summary, searched and shown in English")
    asks: list[str] = Field(default_factory=list,
                            description="how people ask about this article, in their words: searched with its text")
    chapter: str | None = None
    text: str = Field(min_length=1)


class Meta(_Strict):
    title: str
    short_title: str
    short_title_en: str | None = None
    doc_no: str | None = None
    issuer: list[str] = Field(min_length=1)
    issued: str | None = Field(default=None, description="the date as printed, when the document gives one")
    region: str
    source: str = Field(description="the seed file the text was taken from")
    kind: Literal["program", "guidance", "notice", "standard_draft", "work_plan"]


class Tier(_Strict):
    """A ratio for loans whose (covered) principal is in [principal_from, principal_below).

    "以上" includes its number, so 500万及以上 starts a tier at 5,000,000 and 500万以下 ends below it.
    """

    principal_from: Decimal = Decimal(0)
    principal_below: Decimal | None = None
    ratio: Ratio = Field(gt=0, le=1)


class Payer(_Strict):
    """A public payer of compensation (the fund; or a province and a city layered on each other)."""

    code: str
    label: str
    label_en: str
    tiers: list[Tier] = Field(min_length=1)
    per_claim_cap: CitedAmount | None = None
    article: str

    @model_validator(mode="after")
    def _tiers_cover_every_principal(self) -> "Payer":
        expected = Decimal(0)
        for i, tier in enumerate(self.tiers):
            if tier.principal_from != expected:
                raise ValueError(f"tier {i} starts at {tier.principal_from}, expected {expected}")
            last = i == len(self.tiers) - 1
            if (tier.principal_below is None) != last:
                raise ValueError("only the last tier is open-ended, and it must be")
            if tier.principal_below is not None:
                if tier.principal_below <= tier.principal_from:
                    raise ValueError(f"tier {i} is empty")
                expected = tier.principal_below
        return self


class Share(_Strict):
    """Another party's part of the loss: a fixed ratio, a minimum ratio, or the remainder."""

    party: str
    label: str
    label_en: str
    ratio: Ratio | None = Field(default=None, ge=0, le=1)
    min_ratio: Ratio | None = Field(default=None, ge=0, le=1)
    remainder: bool = False
    optional: bool = Field(default=False, description="the party shares only where the loan has one "
                                                       "(Jiangbei 第十一条: with or without an insurer)")
    article: str

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> "Share":
        kinds = [self.ratio is not None, self.min_ratio is not None, self.remainder]
        if sum(kinds) != 1:
            raise ValueError("a share has exactly one of ratio, min_ratio, remainder")
        return self


class Compensation(_Strict):
    article: str
    ratio_is_ceiling: bool = Field(description="不高于: the bot reports the maximum and says so")
    ip_part_only: CitedFlag | None = None
    min_ip_share: CitedRatio | None = None
    covered_principal_per_loan: CitedAmount | None = None
    covered_principal_per_enterprise: CitedAmount | None = None
    payers: list[Payer] = Field(min_length=1)
    per_claim_cap: CitedAmount | None = None
    per_enterprise_year_cap: CitedAmount | None = None
    program_year_cap: CitedAmount | None = None
    shares: list[Share] = Field(default_factory=list)

    @model_validator(mode="after")
    def _shares_fit(self) -> "Compensation":
        if sum(s.remainder for s in self.shares) > 1:
            raise ValueError("at most one share takes the remainder")
        return self


class ClaimTrigger(_Strict):
    kind: Literal["overdue_days", "npl_classification"]
    overdue_days: int | None = Field(default=None, ge=1)
    npl_classes: list[NplClass] | None = None
    article: str

    @model_validator(mode="after")
    def _has_its_parameter(self) -> "ClaimTrigger":
        if self.kind == "overdue_days" and self.overdue_days is None:
            raise ValueError("overdue_days is required when kind is overdue_days")
        if self.kind == "npl_classification" and not self.npl_classes:
            raise ValueError("npl_classes is required when kind is npl_classification")
        return self


class BankMonitoring(_Strict):
    overdue_days: CitedDays
    warn_ratio: CitedRatio
    suspend_ratio: CitedRatio
    suspend_needs_approval: CitedFlag

    @model_validator(mode="after")
    def _warn_below_suspend(self) -> "BankMonitoring":
        if not self.warn_ratio.value < self.suspend_ratio.value:
            raise ValueError("warn_ratio must be below suspend_ratio")
        return self


class Recovery(_Strict):
    return_days: CitedDays
    pro_rata: CitedFlag


class Fund(_Strict):
    size: CitedAmount
    pause_at_cumulative: CitedAmount | None = None
    pause_keeps_agreed_sharing: CitedFlag | None = Field(
        default=None, description="during a pause, loans already made keep the risk sharing of their agreement")


class Choice(_Strict):
    code: str
    label: str
    label_en: str


class Ground(_Strict):
    """A ground on which an enterprise is out of the program."""

    code: str
    label: str
    label_en: str
    article: str


class Option(_Strict):
    value: str
    label: str
    label_en: str
    ip_type: str | None = Field(default=None, description="the pledge this answer names (patent+trademark): "
                                                          "its outcome comes from eligible_ip_types")
    outcome: Outcome = "ok"
    stop: bool = Field(default=False, description="this answer ends the check at once")
    article: str | None = None


class Question(_Strict):
    id: str
    text: str
    text_en: str
    options: list[Option] = Field(min_length=2)
    article: str

    @model_validator(mode="after")
    def _unique_values(self) -> "Question":
        values = [o.value for o in self.options]
        if len(set(values)) != len(values):
            raise ValueError(f"question {self.id}: option values repeat")
        return self


CitedWords = Cited[list[str]]
CitedChoices = Cited[list[Choice]]


class Program(_Strict):
    """The parameters of a compensation program, each with its article."""

    fund: Fund
    eligible_ip_types: CitedWords
    loan_uses_allowed: CitedChoices
    loan_uses_forbidden: CitedChoices
    compensation: Compensation
    claim_trigger: ClaimTrigger
    bank_monitoring: BankMonitoring
    recovery: Recovery
    disqualifications: list[Ground] = Field(default_factory=list)
    selfcheck: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_question_ids(self) -> "Program":
        ids = [q.id for q in self.selfcheck]
        if len(set(ids)) != len(ids):
            raise ValueError("self-check question ids repeat")
        return self


class PolicyPack(_Strict):
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    meta: Meta
    articles: list[Article] = Field(min_length=1)
    program: Program | None = None

    @model_validator(mode="after")
    def _every_citation_exists(self) -> "PolicyPack":
        refs = [a.ref for a in self.articles]
        if len(set(refs)) != len(refs):
            raise ValueError("article refs repeat")
        if self.program is not None:
            missing = sorted(set(_cited_articles(self.program)) - set(refs))
            if missing:
                raise ValueError(f"program cites articles the pack does not hold: {', '.join(missing)}")
        if (self.program is not None) != (self.meta.kind == "program"):
            raise ValueError("a pack has program parameters exactly when meta.kind is program")
        return self

    def article(self, ref: str) -> Article:
        for a in self.articles:
            if a.ref == ref:
                return a
        raise KeyError(f"{self.id} has no article {ref}")


def _cited_articles(node: object):
    """Every ``article`` value anywhere in the program's parameters."""
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            value = getattr(node, name)
            if name == "article" and isinstance(value, str):
                yield value
            else:
                yield from _cited_articles(value)
    elif isinstance(node, list):
        for item in node:
            yield from _cited_articles(item)
