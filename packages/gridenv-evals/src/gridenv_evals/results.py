"""Result files: ``results.json`` (schema-versioned, validated on load), ``results.csv`` (one row per task) and
``summary.png`` (per-task scores with CIs, policies side by side), all written atomically (temp file + rename).

A results.json is shared like a paper's table, so it is untrusted input: ``load_results`` validates it with pydantic
and refuses a malformed file or another schema version by name.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, ValidationError

from gridenv.atomic_file import write_atomic
from gridenv_evals import cooperation, in_context
from gridenv_evals.cooperation import CooperationResults
from gridenv_evals.in_context import InContextResults
from gridenv_evals.metrics import aggregate, stratified_bootstrap_ci
from gridenv_evals.runner import TaskResult
from gridenv_evals.provenance import SCHEMA_VERSION, Provenance, ResultModel, provenance
from gridenv_evals.suites import Suite

METRICS = ("success", "spl", "steps")


_Model = ResultModel


class Episode(_Model):
    seed: int
    success: bool
    steps: int = Field(ge=0)
    shortest: int = Field(ge=0)
    spl: float = Field(ge=0.0, le=1.0)


class Interval(_Model):
    mean: float
    iqm: float
    ci95: tuple[float, float]       # of the mean
    iqm_ci95: tuple[float, float]   # of the IQM


class TaskRow(_Model):
    name: str
    kind: str
    max_steps: int
    success: float
    spl: float
    steps: float
    success_ci95: tuple[float, float]
    episodes: list[Episode]


class Results(Provenance):
    episodes_per_task: int
    seeds: dict[str, list[int]]
    tasks: list[TaskRow]
    aggregates: dict[Literal["success", "spl", "steps"], Interval]


def build_results(suite: Suite, uri: str, episodes: int, task_results: list[TaskResult]) -> Results:
    rows = []
    for result in task_results:
        success = result.column("success")
        rows.append(TaskRow(
            name=result.name, kind=result.kind, max_steps=result.max_steps, success=float(success.mean()),
            spl=float(result.column("spl").mean()), steps=float(result.column("steps").mean()),
            success_ci95=stratified_bootstrap_ci([success], np.mean),
            episodes=[Episode(**vars(e)) for e in result.episodes]))
    aggregates = {metric: Interval(**aggregate([r.column(metric) for r in task_results])) for metric in METRICS}
    return Results(**provenance(suite, uri), episodes_per_task=episodes,
                   seeds={r.name: [e.seed for e in r.episodes] for r in task_results}, tasks=rows,
                   aggregates=aggregates)


def write_results(out: Path, all_results: list) -> list[Path]:
    """``out/results.json`` (one policy: its results; several: a list), ``out/results.csv`` and ``out/summary.png``,
    for results of any protocol, each written atomically."""
    first = all_results[0]
    if isinstance(first, InContextResults):
        header, rows = in_context.csv_table(all_results)
        png = in_context.summary_png(all_results)
    elif isinstance(first, CooperationResults):
        header, rows = cooperation.csv_table(all_results)
        png = cooperation.summary_png(all_results)
    else:
        header = ["policy", "suite", "task", "kind", "episodes", "success", "success_ci95_low", "success_ci95_high",
                  "spl", "steps"]
        rows = [[results.policy, f"{results.suite}-v{results.suite_version}", row.name, row.kind, len(row.episodes),
                 f"{row.success:.4f}", f"{row.success_ci95[0]:.4f}", f"{row.success_ci95[1]:.4f}", f"{row.spl:.4f}",
                 f"{row.steps:.2f}"] for results in all_results for row in results.tasks]
        png = summary_png(all_results)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    payload = first.model_dump(mode="json") if len(all_results) == 1 else [r.model_dump(mode="json") for r in all_results]
    write_atomic(out / "results.json", (json.dumps(payload, indent=1) + "\n").encode())
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_atomic(out / "results.csv", text.getvalue().encode())
    write_atomic(out / "summary.png", png)
    return [out / "results.json", out / "results.csv", out / "summary.png"]


def leaderboard_any(all_results: list) -> str:
    """The Markdown leaderboard of results of any protocol."""
    first = all_results[0]
    if isinstance(first, InContextResults):
        return in_context.leaderboard(all_results)
    if isinstance(first, CooperationResults):
        return cooperation.leaderboard(all_results)
    return leaderboard(all_results)


def summary_png(all_results: list[Results]) -> bytes:
    """Per-task success with 95% CIs, one bar per policy side by side; the suite's mean and IQM in the legend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [row.name for row in all_results[0].tasks]
    width = 0.8 / len(all_results)
    figure, axes = plt.subplots(figsize=(max(8, 0.45 * len(names) * max(1, len(all_results) / 2)), 4.5))
    for i, results in enumerate(all_results):
        x = np.arange(len(names)) + (i - (len(all_results) - 1) / 2) * width
        values = np.array([row.success for row in results.tasks])
        low = values - np.array([row.success_ci95[0] for row in results.tasks])
        high = np.array([row.success_ci95[1] for row in results.tasks]) - values
        agg = results.aggregates["success"]
        axes.bar(x, values, width, yerr=[low, high], capsize=2,
                 label=f"{results.policy}: mean {agg.mean:.3f} [{agg.ci95[0]:.3f}, {agg.ci95[1]:.3f}], "
                       f"IQM {agg.iqm:.3f}")
    axes.set_xticks(np.arange(len(names)), names, rotation=70, ha="right", fontsize=7)
    axes.set_ylabel("success (95% CI)")
    axes.set_ylim(0, 1.05)
    first = all_results[0]
    axes.set_title(f"{first.suite}-v{first.suite_version}, {first.episodes_per_task} episodes per task")
    axes.legend(fontsize=7, loc="upper right")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, metadata={"Software": None})  # no version stamp: reproducible
    plt.close(figure)
    return buffer.getvalue()


def load_results(path: str | Path) -> list[Results | InContextResults | CooperationResults]:
    """Validated results from a results.json (one policy or a list); ValueError naming the file otherwise."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except OSError as error:
        raise ValueError(f"{path}: cannot read ({error.strerror or error})") from None
    except (ValueError, RecursionError) as error:
        raise ValueError(f"{path}: not valid JSON ({error})") from None
    items = data if isinstance(data, list) else [data]
    try:
        models = {"in-context": InContextResults, "cooperation": CooperationResults}
        return [models.get(item.get("protocol") if isinstance(item, dict) else None, Results).model_validate(item)
                for item in items]
    except ValidationError as error:
        raise ValueError(f"{path}: not a gridenv-eval results file of schema version {SCHEMA_VERSION}:\n{error}") \
            from None


def leaderboard(all_results: list[Results]) -> str:
    """A Markdown table: one row per policy, the suite's mean and IQM with their 95% CIs."""
    first = all_results[0]
    lines = [f"**{first.suite}-v{first.suite_version}** ({first.episodes_per_task} episodes per task, "
             f"{len(first.tasks)} tasks; 95% stratified-bootstrap CIs)", "",
             "| policy | success (mean) | success (IQM) | SPL (mean) | SPL (IQM) | steps (mean) |",
             "| --- | --- | --- | --- | --- | --- |"]
    ranked = sorted(all_results, key=lambda r: -r.aggregates["spl"].mean)
    for results in ranked:
        a = results.aggregates
        lines.append(f"| `{results.policy}` | {_mean(a['success'])} | {_iqm(a['success'])} | {_mean(a['spl'])} | "
                     f"{_iqm(a['spl'])} | {a['steps'].mean:.1f} |")
    return "\n".join(lines)


def _mean(interval: Interval) -> str:
    return f"{interval.mean:.3f} [{interval.ci95[0]:.3f}, {interval.ci95[1]:.3f}]"


def _iqm(interval: Interval) -> str:
    return f"{interval.iqm:.3f} [{interval.iqm_ci95[0]:.3f}, {interval.iqm_ci95[1]:.3f}]"


def compare(a, b) -> str:
    """Two results of one suite version side by side, per aggregate, with whether their 95% CIs overlap."""
    if (a.suite, a.suite_version, a.suite_digest) != (b.suite, b.suite_version, b.suite_digest):
        raise ValueError(f"results of different suites cannot be compared: {a.suite}-v{a.suite_version} "
                         f"({a.suite_digest[:12]}) and {b.suite}-v{b.suite_version} ({b.suite_digest[:12]})")
    if isinstance(a, CooperationResults):
        lines = [cooperation.leaderboard([a, b]), "", f"| measure | `{a.policy}` | `{b.policy}` | difference | "
                 f"CIs overlap |", "| --- | --- | --- | --- | --- |"]
        pairs = [("focal per-capita hearts", a.hearts, b.hearts)]
        if a.score and b.score:
            pairs.insert(0, ("normalised score", a.score, b.score))
        for name, x, y in pairs:
            overlap = x.ci95[0] <= y.ci95[1] and y.ci95[0] <= x.ci95[1]
            lines.append(f"| {name} | {x.mean:.3f} | {y.mean:.3f} | {y.mean - x.mean:+.3f} | "
                         f"{'yes' if overlap else 'no'} |")
        return "\n".join(lines)
    if isinstance(a, InContextResults):
        lines = [in_context.leaderboard([a, b]), "", f"| measure | `{a.policy}` | `{b.policy}` | difference | "
                 f"CIs overlap |", "| --- | --- | --- | --- | --- |"]
        rows = [("in-context gain", a.gain.mean, b.gain.mean, a.gain.ci95, b.gain.ci95),
                ("episode 1 return", a.per_episode.mean[0], b.per_episode.mean[0], a.per_episode.mean_ci95[0],
                 b.per_episode.mean_ci95[0]),
                (f"episode {a.episodes_per_trial} return", a.per_episode.mean[-1], b.per_episode.mean[-1],
                 a.per_episode.mean_ci95[-1], b.per_episode.mean_ci95[-1])]
        for name, x, y, cx, cy in rows:
            overlap = cx[0] <= cy[1] and cy[0] <= cx[1]
            lines.append(f"| {name} | {x:.3f} | {y:.3f} | {y - x:+.3f} | {'yes' if overlap else 'no'} |")
        return "\n".join(lines)
    lines = [leaderboard([a, b]), "", "| aggregate | " + f"`{a.policy}` | `{b.policy}` | difference | CIs overlap |",
             "| --- | --- | --- | --- | --- |"]
    for metric in METRICS:
        for key, ci in (("mean", "ci95"), ("iqm", "iqm_ci95")):
            x, y = a.aggregates[metric], b.aggregates[metric]
            overlap = getattr(x, ci)[0] <= getattr(y, ci)[1] and getattr(y, ci)[0] <= getattr(x, ci)[1]
            lines.append(f"| {metric} {key} | {getattr(x, key):.3f} | {getattr(y, key):.3f} | "
                         f"{getattr(y, key) - getattr(x, key):+.3f} | {'yes' if overlap else 'no'} |")
    return "\n".join(lines)
