"""Experiment summaries: per-score means and comparison with a base experiment.

Pure functions over rows, so the same numbers come out whether rows were
read from the embedded store, fetched from the service, or kept in memory
with ``no_send_logs``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal, Optional, Union

from braintrust_otel.serialize import sanitize

from ._serial import Serializable

__all__ = ["CaseStats", "DataSummary", "DatasetSummary", "ExperimentSummary", "MetricSummary",
           "ScoreSummary", "SummarySkipped", "SummarySuccess", "cases_from_rows",
           "summarize_cases"]

Number = Union[int, float]

#: Metrics summed over every span of a case (tokens), besides the case's duration.
_SUMMED_METRICS = ("prompt_tokens", "completion_tokens", "tokens")


@dataclasses.dataclass
class CaseStats:
    """What a summary needs of one evaluated case."""

    key: str  # the case's input, canonical JSON: cases match across experiments by input
    scores: dict[str, Optional[float]]
    metrics: dict[str, Number]
    error: bool = False


def input_key(value: Any) -> str:
    """The canonical JSON of a case's input."""
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except Exception:
        # Odd keys, a failing str(), an int too long to print: the
        # never-raising encoder's plain copy still sorts.
        return json.dumps(sanitize(value), sort_keys=True)


def cases_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[CaseStats]:
    """Groups an experiment's rows into cases (one per trace).

    Scores come from every span of the trace (scorer spans hold them);
    ``duration`` from the root span; token metrics are summed over the trace.
    """
    traces: dict[Any, list[Mapping[str, Any]]] = {}
    for row in rows:
        if "comment" in row and not row.get("span_id"):
            continue  # a comment on a row (log_feedback), not a span of a case
        traces.setdefault(row.get("root_span_id") or row.get("id"), []).append(row)
    cases = []
    for spans in traces.values():
        root = next((r for r in spans if not r.get("span_parents")), spans[0])
        scores: dict[str, Optional[float]] = {}
        metrics: dict[str, Number] = {}
        for span in spans:
            for name, value in (span.get("scores") or {}).items():
                if value is None or isinstance(value, (int, float)):
                    scores[name] = value
            span_metrics = span.get("metrics") or {}
            for name in _SUMMED_METRICS:
                value = span_metrics.get(name)
                if isinstance(value, (int, float)):
                    metrics[name] = metrics.get(name, 0) + value
        root_metrics = root.get("metrics") or {}
        start, end = root_metrics.get("start"), root_metrics.get("end")
        if isinstance(start, (int, float)) and isinstance(end, (int, float)):
            metrics["duration"] = end - start
        cases.append(CaseStats(input_key(root.get("input")), scores, metrics,
                               error=root.get("error") is not None))
    return cases


def _counts(improvements: Optional[int], regressions: Optional[int]) -> str:
    better, worse = improvements or 0, regressions or 0
    return (f"{better} improvement{'' if better == 1 else 's'}, "
            f"{worse} regression{'' if worse == 1 else 's'}")


@dataclasses.dataclass
class ScoreSummary(Serializable):
    """One score across an experiment: its mean, and its change against the base."""

    name: str
    score: float
    diff: Optional[float] = None
    improvements: Optional[int] = None
    regressions: Optional[int] = None
    longest_name: int = 0

    def __str__(self) -> str:
        pct = f"{self.score * 100:05.2f}%"
        name = f"'{self.name}'".ljust(self.longest_name + 2)
        if self.diff is None:
            return f"{pct} {name} score"
        return (f"{pct} ({_signed_pct(self.diff)}) {name} score\t"
                f"({_counts(self.improvements, self.regressions)})")


@dataclasses.dataclass
class MetricSummary(Serializable):
    """One metric across an experiment: its mean, and its change against the base."""

    name: str
    metric: Number
    unit: str = ""
    diff: Optional[float] = None
    improvements: Optional[int] = None
    regressions: Optional[int] = None
    longest_name: int = 0

    def __str__(self) -> str:
        value = f"{self.metric:d}" if isinstance(self.metric, int) else f"{self.metric:.2f}"
        if self.diff is None:
            return f"{value}{self.unit} {self.name}"
        name = f"'{self.name}'".ljust(self.longest_name + 2)
        return (f"{value}{self.unit} ({_signed_pct(self.diff)}) {name}\t"
                f"({_counts(self.improvements, self.regressions)})")


def _signed_pct(diff: float) -> str:
    pct = f"{abs(diff) * 100:05.2f}%"
    return f"+{pct}" if diff > 0 else f"-{pct}" if diff < 0 else "no change"


@dataclasses.dataclass
class ExperimentSummary(Serializable):
    """What an experiment scored, as ``Eval`` prints it.

    Attributes:
        project_name, project_id, experiment_name, experiment_id: What ran.
        project_url, experiment_url: Where to see it.
        comparison_experiment_name, comparison_experiment_id: The base, if any.
        scores: Score name to :class:`ScoreSummary`.
        metrics: Metric name to :class:`MetricSummary`.
        errors: How many cases failed.
    """

    project_name: Optional[str]
    project_id: Optional[str]
    experiment_name: Optional[str]
    experiment_id: Optional[str]
    project_url: Optional[str] = None
    experiment_url: Optional[str] = None
    comparison_experiment_name: Optional[str] = None
    comparison_experiment_id: Optional[str] = None
    scores: dict[str, ScoreSummary] = dataclasses.field(default_factory=dict)
    metrics: dict[str, MetricSummary] = dataclasses.field(default_factory=dict)
    errors: int = 0
    #: Why scores were not summarized (``summarize_scores=False``); None when they were.
    skipped_reason: Optional[str] = None

    @property
    def comparison(self) -> Union[SummarySuccess, SummarySkipped]:
        """The scores and metrics (a :class:`SummarySuccess`), or why there are none
        (a :class:`SummarySkipped`), as the official SDK's ``comparison`` field."""
        if self.skipped_reason is not None:
            return SummarySkipped(self.skipped_reason)
        return SummarySuccess(dict(self.scores), dict(self.metrics))

    def __str__(self) -> str:
        text = "\n=========================SUMMARY=========================\n"
        if self.skipped_reason is not None:
            text += f"Summary skipped: {self.skipped_reason}\n\n"
        if self.comparison_experiment_name:
            text += f"{self.experiment_name} compared to {self.comparison_experiment_name}:\n"
        if self.scores:
            text += "\n".join(str(s) for s in self.scores.values()) + "\n\n"
        if self.metrics:
            text += "\n".join(str(m) for m in self.metrics.values()) + "\n\n"
        if self.errors:
            text += f"{self.errors} {'case' if self.errors == 1 else 'cases'} failed\n\n"
        if self.experiment_url:
            text += f"See results for {self.experiment_name} at {self.experiment_url}"
            if "/app/local/" in self.experiment_url:
                # Not logged in: the link is to the local UI, which must be running.
                text += "\n(run `braintrust serve` to open it: the local UI over this store)"
        return text

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain JSON-able data (for ``--jsonl``)."""
        out = dataclasses.asdict(self)
        for group in ("scores", "metrics"):
            for item in out[group].values():
                item.pop("longest_name", None)
        out["comparison"] = ({"reason": self.skipped_reason, "status": "skipped"}
                             if self.skipped_reason is not None else
                             {"scores": out["scores"], "metrics": out["metrics"],
                              "status": "success"})
        return out


@dataclasses.dataclass
class SummarySuccess(Serializable):
    """Scores and metrics were summarized (``ExperimentSummary.comparison``)."""

    scores: dict[str, ScoreSummary]
    metrics: dict[str, MetricSummary]
    status: Literal["success"] = "success"


@dataclasses.dataclass
class SummarySkipped(Serializable):
    """Scores and metrics were not summarized; ``reason`` says why."""

    reason: str
    status: Literal["skipped"] = "skipped"


@dataclasses.dataclass
class DataSummary(Serializable):
    """How many records a dataset holds.

    Attributes:
        new_records: Records this ``Dataset`` object wrote (inserted, updated
            or deleted) since it was opened.
        total_records: Records in the dataset now.
    """

    new_records: int
    total_records: int

    def __str__(self) -> str:
        return f"Total records: {self.total_records} ({self.new_records} new or updated records)"


@dataclasses.dataclass
class DatasetSummary(Serializable):
    """What ``Dataset.summarize()`` returns: names, links and a :class:`DataSummary`
    (None with ``summarize_data=False``)."""

    project_name: str
    dataset_name: str
    project_url: str
    dataset_url: str
    data_summary: Optional[DataSummary]

    def __str__(self) -> str:
        return ("\n=========================SUMMARY=========================\n"
                f"{self.data_summary}\n"
                f"See results for all datasets in {self.project_name} at {self.project_url}\n"
                f"See results for {self.dataset_name} at {self.dataset_url}")


def _mean(values: list[Number]) -> Optional[float]:
    return sum(values) / len(values) if values else None


def _by_key(cases: list[CaseStats], pick: Any) -> dict[str, float]:
    groups: dict[str, list[Number]] = {}
    for case in cases:
        value = pick(case)
        if isinstance(value, (int, float)):
            groups.setdefault(case.key, []).append(value)
    return {k: sum(v) / len(v) for k, v in groups.items()}


def summarize_cases(
    cases: list[CaseStats], base: Optional[list[CaseStats]] = None
) -> tuple[dict[str, ScoreSummary], dict[str, MetricSummary]]:
    """Computes score and metric summaries, compared with ``base`` when given.

    A case is compared with the base case that has the same input (trials
    averaged); improvements and regressions count those pairs whose score went
    up or down (for metrics, down is an improvement).

    Returns:
        ``(scores, metrics)``, each keyed by name in order of first appearance.
    """
    score_names: list[str] = []
    metric_names: list[str] = []
    for case in cases:
        score_names += [n for n in case.scores if n not in score_names]
        metric_names += [n for n in case.metrics if n not in metric_names]
    metric_names.sort(key=lambda n: (n != "duration", n))
    scores: dict[str, ScoreSummary] = {}
    longest = max((len(n) for n in score_names), default=0)
    for name in score_names:
        mean = _mean([s for c in cases if isinstance(s := c.scores.get(name), (int, float))])
        if mean is None:
            continue
        summary = ScoreSummary(name, mean, longest_name=longest)
        if base is not None:
            _compare(summary, name, cases, base, lambda c, n=name: c.scores.get(n),
                     higher_is_better=True)
        scores[name] = summary
    metrics: dict[str, MetricSummary] = {}
    longest = max((len(n) for n in metric_names), default=0)
    for name in metric_names:
        values = [v for c in cases if isinstance(v := c.metrics.get(name), (int, float))]
        mean = _mean(values)
        if mean is None:
            continue
        value: Number = int(mean) if all(isinstance(v, int) for v in values) and \
            mean.is_integer() else mean
        summary_m = MetricSummary(name, value, "s" if name == "duration" else "",
                                  longest_name=longest)
        if base is not None:
            _compare(summary_m, name, cases, base, lambda c, n=name: c.metrics.get(n),
                     higher_is_better=False)
        metrics[name] = summary_m
    return scores, metrics


def _compare(summary: Any, name: str, cases: list[CaseStats], base: list[CaseStats],
             pick: Any, higher_is_better: bool) -> None:
    mine, theirs = _by_key(cases, pick), _by_key(base, pick)
    base_mean = _mean([v for c in base if isinstance(v := pick(c), (int, float))])
    if base_mean is None:
        return
    current = summary.score if isinstance(summary, ScoreSummary) else summary.metric
    summary.diff = current - base_mean
    if isinstance(summary, MetricSummary) and base_mean:
        summary.diff = (current - base_mean) / base_mean  # metrics change in relative terms
    better = worse = 0
    for key, value in mine.items():
        if key in theirs and value != theirs[key]:
            up = value > theirs[key]
            if up == higher_is_better:
                better += 1
            else:
                worse += 1
    summary.improvements, summary.regressions = better, worse
