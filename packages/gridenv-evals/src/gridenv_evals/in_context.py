"""Playing and scoring an in-context suite: trials of several episodes with the policy's memory kept.

Protocol (docs/evals.md). A trial is a task: a fixed hidden recipe and K episode seeds. The policy gets
``initial_state(1)`` once at the trial's start and then plays the K episodes back to back, one ``act`` per step;
``dones`` stays False throughout, so a recurrent policy keeps its state across the episodes of a trial — **the trial
boundary is the only reset** (the next trial starts from a fresh ``initial_state``). Each episode starts on a new map
(``reset(seed=seeds[k])``); a policy can tell a new episode by its observation (the ``episode_progress`` self feature
drops to 0). Optional hooks: ``reseed(seed)`` before each trial (from the suite and trial names), ``begin_trials
(tasks)`` with the trial's task and ``begin_episode(k)`` before episode k (the scripted references use them).

Trials run one at a time (a batch of one), so results do not depend on which trials share a process: sharded over
torchrun ranks they are identical to one process.

Scores: the return of every episode (hearts made). Per episode index, over trials: the mean (with a 95% stratified
bootstrap CI, strata = chain lengths), the median and the 20th percentile, as XLand-MiniGrid reports them. The
**in-context gain** of a trial is the mean return of its last three episodes minus the return of its first; the
suite's gain is its mean over trials with a 95% stratified-bootstrap CI.
"""

from __future__ import annotations

import io
from typing import Any, Callable, Literal

import numpy as np
from pydantic import Field

import gridenv
import gridenv.vector
from gridenv_evals.metrics import stratified_bootstrap_ci
from gridenv_evals.policies import check_fits
from gridenv_evals.runner import task_seed, task_spec
from gridenv_evals.provenance import MeanCI, Provenance, ResultModel, provenance
from gridenv_evals.suites import Suite, Task

LAST = 3  # the gain compares the mean of the last LAST episodes with the first


def play_trial(suite: Suite, task: Task, policy: Any, uri: str, episodes: int) -> np.ndarray:
    """The return of each of the trial's first ``episodes`` episodes, (episodes,) float64."""
    check_fits(policy, task_spec(task), uri)
    if hasattr(policy, "reseed"):
        policy.reseed(task_seed(suite, task))
    if hasattr(policy, "begin_trials"):
        policy.begin_trials([task])
    vec = gridenv.vector.make(task.config, num_envs=1)
    if vec.agents_per_env != 1:
        raise ValueError(f"{task.name}: the in-context runner plays single-agent trials")
    state = policy.initial_state(1)
    dones = np.zeros(1, dtype=bool)  # never set: memory lasts the whole trial
    returns = np.zeros(episodes)
    for k in range(episodes):
        observations, _ = vec.reset(seed=[task.seeds[k]])
        if hasattr(policy, "begin_episode"):
            policy.begin_episode(k)
        while True:
            actions, state = policy.act(observations, state, dones)
            observations, rewards, _, _, _ = vec.step(np.asarray(actions, dtype=np.int32))
            returns[k] += float(rewards[0])
            if vec.episode_done[0]:
                break
    vec.close()
    return returns


def run_in_context(suite: Suite, policy: Any, uri: str, episodes: int | None = None, tasks: list[Task] | None = None,
                   progress: Callable[[str], None] | None = None) -> dict[str, np.ndarray]:
    """Per trial name, its returns (episodes,)."""
    episodes = episodes or suite.episodes
    if not LAST + 1 <= episodes <= suite.episodes:
        raise ValueError(f"--episodes: {suite.full_name} plays {suite.episodes} episodes per trial; choose "
                         f"{LAST + 1} to {suite.episodes} (the gain needs a first and {LAST} last), got {episodes}")
    out = {}
    for task in tasks if tasks is not None else suite.tasks:
        out[task.name] = play_trial(suite, task, policy, uri, episodes)
        if progress is not None:
            progress(task.name)
    return out


_Model = ResultModel


class Trial(_Model):
    name: str
    recipe: str                 # gridenv.in_context canonical name
    chain_length: int = Field(ge=1)
    seeds: list[int]
    returns: list[float]
    gain: float


class PerEpisode(_Model):
    mean: list[float]
    mean_ci95: list[tuple[float, float]]
    median: list[float]
    p20: list[float]


class InContextResults(Provenance):
    protocol: Literal["in-context"] = "in-context"
    episodes_per_trial: int
    trials: list[Trial]
    per_episode: PerEpisode
    gain: MeanCI
    mean_return: float


def trial_gain(returns: np.ndarray) -> np.ndarray:
    """Per trial (rows): mean of the last LAST episodes minus the first."""
    returns = np.atleast_2d(returns)
    return returns[:, -LAST:].mean(axis=1) - returns[:, 0]


def build_in_context_results(suite: Suite, uri: str, returns: dict[str, np.ndarray]) -> InContextResults:
    tasks = [task for task in suite.tasks if task.name in returns]
    lengths = [int(task.kind.split(":")[0]) for task in tasks]
    matrix = np.stack([returns[task.name] for task in tasks])      # (trials, episodes)
    strata = sorted(set(lengths))

    def by_stratum(column: np.ndarray) -> list[np.ndarray]:
        return [column[[i for i, length in enumerate(lengths) if length == s]] for s in strata]

    gains = trial_gain(matrix)
    per_episode = PerEpisode(
        mean=[float(x) for x in matrix.mean(axis=0)],
        mean_ci95=[stratified_bootstrap_ci(by_stratum(matrix[:, k]), np.mean) for k in range(matrix.shape[1])],
        median=[float(x) for x in np.median(matrix, axis=0)],
        p20=[float(x) for x in np.percentile(matrix, 20, axis=0)])
    return InContextResults(
        **provenance(suite, uri), episodes_per_trial=matrix.shape[1],
        trials=[Trial(name=task.name, recipe=task.kind, chain_length=length, seeds=list(task.seeds[:matrix.shape[1]]),
                      returns=[float(x) for x in matrix[i]], gain=float(gains[i]))
                for i, (task, length) in enumerate(zip(tasks, lengths))],
        per_episode=per_episode,
        gain=MeanCI(mean=float(gains.mean()), ci95=stratified_bootstrap_ci(by_stratum(gains), np.mean)),
        mean_return=float(matrix.mean()))


def leaderboard(all_results: list[InContextResults]) -> str:
    first = all_results[0]
    k = first.episodes_per_trial
    lines = [f"**{first.suite}-v{first.suite_version}** ({len(first.trials)} trials x {k} episodes, memory kept "
             f"within a trial; 95% stratified-bootstrap CIs)", "",
             f"| policy | episode 1 | episode {k} | mean return | in-context gain (last {LAST} - first) |",
             "| --- | --- | --- | --- | --- |"]
    for results in sorted(all_results, key=lambda r: -r.gain.mean):
        e = results.per_episode
        lines.append(f"| `{results.policy}` | {e.mean[0]:.2f} [{e.mean_ci95[0][0]:.2f}, {e.mean_ci95[0][1]:.2f}] | "
                     f"{e.mean[-1]:.2f} [{e.mean_ci95[-1][0]:.2f}, {e.mean_ci95[-1][1]:.2f}] | "
                     f"{results.mean_return:.2f} | {results.gain.mean:+.2f} [{results.gain.ci95[0]:+.2f}, "
                     f"{results.gain.ci95[1]:+.2f}] |")
    return "\n".join(lines)


def csv_table(all_results: list[InContextResults]) -> tuple[list[str], list[list]]:
    """results.csv: one row per policy and trial, with every episode's return."""
    k = all_results[0].episodes_per_trial
    header = ["policy", "suite", "trial", "recipe", "chain_length", "gain", *[f"return_{i + 1}" for i in range(k)]]
    rows = [[results.policy, f"{results.suite}-v{results.suite_version}", trial.name, trial.recipe, trial.chain_length,
             f"{trial.gain:.4f}", *[f"{x:.4f}" for x in trial.returns]]
            for results in all_results for trial in results.trials]
    return header, rows


def summary_png(all_results: list[InContextResults]) -> bytes:
    """Return against episode index within a trial: mean with its 95% CI band, median and 20th percentile dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7.5, 4.5))
    for results in all_results:
        e = results.per_episode
        x = np.arange(1, len(e.mean) + 1)
        line, = axes.plot(x, e.mean, marker="o",
                          label=f"{results.policy}: gain {results.gain.mean:+.2f} "
                                f"[{results.gain.ci95[0]:+.2f}, {results.gain.ci95[1]:+.2f}]")
        axes.fill_between(x, [c[0] for c in e.mean_ci95], [c[1] for c in e.mean_ci95], alpha=0.2,
                          color=line.get_color())
        axes.plot(x, e.p20, linestyle=":", color=line.get_color(), alpha=0.7)
    first = all_results[0]
    axes.set_xlabel("episode within the trial (memory kept)")
    axes.set_ylabel("return (hearts); mean, 95% CI; dotted: 20th percentile")
    axes.set_title(f"{first.suite}-v{first.suite_version}: {len(first.trials)} held-out recipes")
    axes.legend(fontsize=7)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()
