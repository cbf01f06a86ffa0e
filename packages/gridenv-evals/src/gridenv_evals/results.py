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
from pydantic import BaseModel, ConfigDict, Field, ValidationError

import gridenv
from gridenv.atomic_file import write_atomic
from gridenv_evals.metrics import aggregate, stratified_bootstrap_ci
from gridenv_evals.runner import TaskResult
from gridenv_evals.suites import Suite, suite_digest

SCHEMA_VERSION = 1
METRICS = ("success", "spl", "steps")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


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


class Results(_Model):
    schema_version: Literal[1] = SCHEMA_VERSION
    suite: str
    suite_version: int
    suite_digest: str
    gridenv_version: str
    engine_fingerprint: str
    policy: str
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
    digest = suite_digest(suite)
    return Results(suite=suite.name, suite_version=suite.version, suite_digest=digest,
                   gridenv_version=gridenv.__version__, engine_fingerprint=f"gridenv-{gridenv.__version__}/{digest[:16]}",
                   policy=uri, episodes_per_task=episodes,
                   seeds={r.name: [e.seed for e in r.episodes] for r in task_results}, tasks=rows,
                   aggregates=aggregates)


def write_results(out: Path, all_results: list[Results]) -> list[Path]:
    """``out/results.json`` (one policy: its Results; several: a list), ``out/results.csv``, ``out/summary.png``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    payload = all_results[0].model_dump(mode="json") if len(all_results) == 1 else \
        [r.model_dump(mode="json") for r in all_results]
    write_atomic(out / "results.json", (json.dumps(payload, indent=1) + "\n").encode())
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["policy", "suite", "task", "kind", "episodes", "success", "success_ci95_low",
                     "success_ci95_high", "spl", "steps"])
    for results in all_results:
        for row in results.tasks:
            writer.writerow([results.policy, f"{results.suite}-v{results.suite_version}", row.name, row.kind,
                             len(row.episodes), f"{row.success:.4f}", f"{row.success_ci95[0]:.4f}",
                             f"{row.success_ci95[1]:.4f}", f"{row.spl:.4f}", f"{row.steps:.2f}"])
    write_atomic(out / "results.csv", text.getvalue().encode())
    write_atomic(out / "summary.png", summary_png(all_results))
    return [out / "results.json", out / "results.csv", out / "summary.png"]


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


def load_results(path: str | Path) -> list[Results]:
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
        return [Results.model_validate(item) for item in items]
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


def compare(a: Results, b: Results) -> str:
    """Two results of one suite version side by side, per aggregate, with whether their 95% CIs overlap."""
    if (a.suite, a.suite_version, a.suite_digest) != (b.suite, b.suite_version, b.suite_digest):
        raise ValueError(f"results of different suites cannot be compared: {a.suite}-v{a.suite_version} "
                         f"({a.suite_digest[:12]}) and {b.suite}-v{b.suite_version} ({b.suite_digest[:12]})")
    lines = [leaderboard([a, b]), "", "| aggregate | " + f"`{a.policy}` | `{b.policy}` | difference | CIs overlap |",
             "| --- | --- | --- | --- | --- |"]
    for metric in METRICS:
        for key, ci in (("mean", "ci95"), ("iqm", "iqm_ci95")):
            x, y = a.aggregates[metric], b.aggregates[metric]
            overlap = getattr(x, ci)[0] <= getattr(y, ci)[1] and getattr(y, ci)[0] <= getattr(x, ci)[1]
            lines.append(f"| {metric} {key} | {getattr(x, key):.3f} | {getattr(y, key):.3f} | "
                         f"{getattr(y, key) - getattr(x, key):+.3f} | {'yes' if overlap else 'no'} |")
    return "\n".join(lines)
