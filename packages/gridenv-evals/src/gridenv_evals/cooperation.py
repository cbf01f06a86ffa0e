"""Playing and scoring a cooperation suite (Melting Pot style): focal agents among a background population.

Protocol (docs/evals.md). A scenario is a task whose ``roles`` name, per agent, ``focal`` or the background policy
that drives it. In every episode (``reset(seed=seeds[k])``) the evaluated policy gets the focal agents' observations
as one batch (rows in agent order) and a fresh ``initial_state``; background agents are driven by their shipped
policies. Policies that define ``attach(env, agents)`` are handed the live env and their agents at each episode's
start (the scripted players read the world through it).

Scores, per episode, over the focal agents:
- **focal per-capita hearts** (``heart.gained``; the substrates pay 1 per heart and nothing else, so this is the
  per-capita return under selfish reward), and the per-capita return the kinship scheme actually paid;
- the **normalised score** of a scenario, as in Melting Pot 2.0: 0 at the worst and 1 at the best of the published
  focal baselines on that scenario (random, cooperator, defector, selfish; baselines/reference_scores.json), NaN
  where they tie (such scenarios are left out of the suite's mean, and counted);
- **social measures** from the engine's stats, split by kin (kinship weight > 0 with the other agent at that moment)
  and non-kin: energy shared, attacks that hit, units stolen, joint uses of a converter.
MeanCIs: the mean normalised score and per-capita hearts over all scenarios with 95% stratified-bootstrap CIs
(episodes resampled within each scenario).
"""

from __future__ import annotations

import io
from typing import Any, Callable, Literal

import numpy as np
from pydantic import ConfigDict

import gridenv
from gridenv_evals.metrics import normalize, stratified_bootstrap_ci
from gridenv_evals.policies import check_fits
from gridenv_evals.runner import task_seed, task_spec
from gridenv_evals.provenance import MeanCI, Provenance, ResultModel, provenance
from gridenv_evals.suites import Suite, Task

FOCAL_BASELINES = ("random", "cooperator", "defector", "baseline://selfish-raiders")
# name -> (total stat, kin stat): the non-kin share is total - kin
SOCIAL = {
    "shared": ("share.given", "share.given.kin"),
    "attacks": ("attack.hits", "attack.hits.kin"),
    "stolen": (("diamond.stolen", "heart.stolen"), "stolen.kin"),
    "joint_uses": ("joint_uses", "joint_uses.kin"),
}
MEASURES = tuple(f"{name}_{who}" for name in SOCIAL for who in ("kin", "nonkin"))


def play_scenario(suite: Suite, task: Task, policy: Any, uri: str, episodes: int,
                  backgrounds: dict[str, Any]) -> list[dict[str, float]]:
    """One row per episode: focal per-capita hearts and paid return, and the social measures per focal agent."""
    check_fits(policy, task_spec(task), uri)
    roles = task.roles
    drivers: dict[str, tuple[Any, list[int]]] = {}
    for agent, role in enumerate(roles):
        if role not in drivers:
            if role != "focal" and backgrounds[role] is policy:
                raise ValueError(f"{task.name}: the focal policy object also drives the {role} background; give "
                                 f"each its own instance (a stateful player cannot drive both)")
            drivers[role] = (policy if role == "focal" else backgrounds[role], [])
        drivers[role][1].append(agent)
    for role, (driver, _) in drivers.items():
        if hasattr(driver, "reseed"):
            driver.reseed(task_seed(suite, task) + (0 if role == "focal" else 1 + sorted(drivers).index(role)))
    env = gridenv.parallel_env(task.config)
    focal = drivers["focal"][1]
    rows = []
    for seed in task.seeds[:episodes]:
        observations, _ = env.reset(seed=seed)
        names = list(env.possible_agents)
        states = {}
        for role, (driver, agents) in drivers.items():
            if hasattr(driver, "attach"):
                driver.attach(env, agents)
            states[role] = driver.initial_state(len(agents))
        paid = np.zeros(len(names))
        while env.agents:
            actions = {}
            for role, (driver, agents) in drivers.items():
                batch = np.stack([observations[names[a]] for a in agents])
                chosen, states[role] = driver.act(batch, states[role], np.zeros(len(agents), dtype=bool))
                actions.update({names[a]: int(action) for a, action in zip(agents, chosen)})
            observations, rewards, _, _, _ = env.step(actions)
            for i, name in enumerate(names):
                paid[i] += rewards.get(name, 0.0)
        stats = env.episode_stats()
        row = {"seed": seed, "hearts": float(np.mean([stats[a]["heart.gained"] for a in focal])),
               "paid_return": float(paid[focal].mean())}
        for name, (total, kin) in SOCIAL.items():
            totals = total if isinstance(total, tuple) else (total,)
            all_acts = float(np.mean([sum(stats[a][t] for t in totals) for a in focal]))
            kin_acts = float(np.mean([stats[a][kin] for a in focal]))
            row[f"{name}_kin"], row[f"{name}_nonkin"] = kin_acts, all_acts - kin_acts
        rows.append(row)
    return rows


def load_backgrounds(spec) -> dict[str, Any]:
    """The background policies of cooperation-v1, by role name."""
    from gridenv_evals.policies import load_policy

    return {"random": load_policy("random", spec), "cooperator": load_policy("cooperator", spec,
                                                                             protocol="cooperation"),
            "defector": load_policy("defector", spec, protocol="cooperation"),
            "selfish": load_policy("baseline://selfish-raiders", spec)}


def run_cooperation(suite: Suite, policy: Any, uri: str, episodes: int | None = None, tasks: list[Task] | None = None,
                    progress: Callable[[str], None] | None = None) -> dict[str, list[dict[str, float]]]:
    """Per scenario name, its episodes' rows."""
    episodes = episodes or suite.episodes
    if not 1 <= episodes <= suite.episodes:
        raise ValueError(f"--episodes: {suite.full_name} has {suite.episodes} seeds per scenario; choose 1 to that "
                         f"many, got {episodes}")
    backgrounds = load_backgrounds(task_spec(suite.tasks[0]))
    out = {}
    for task in tasks if tasks is not None else suite.tasks:
        out[task.name] = play_scenario(suite, task, policy, uri, episodes, backgrounds)
        if progress is not None:
            progress(task.name)
    return out


class _Model(ResultModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=True)


class Scenario(_Model):
    name: str
    substrate: str
    background: str
    kinship: str
    seeds: list[int]
    hearts: float                 # focal per-capita, mean over episodes
    hearts_ci95: tuple[float, float]
    paid_return: float
    score: float | None           # normalised; None where the baselines tie
    measures: dict[str, float]    # per focal agent per episode, kin and non-kin
    episodes: list[dict[str, float]]


class CooperationResults(Provenance):
    protocol: Literal["cooperation"] = "cooperation"
    episodes_per_scenario: int
    normalised_by: dict[str, tuple[float, float]]  # scenario -> (worst, best) baseline per-capita hearts
    scenarios: list[Scenario]
    score: MeanCI | None       # over scenarios whose baselines differ
    scored_scenarios: int
    hearts: MeanCI
    measures: dict[str, float]
    by_kinship: dict[str, dict[str, float]]  # kinship condition -> mean hearts, score and measures


def baseline_bounds(suite: Suite) -> dict[str, tuple[float, float]]:
    """Per scenario, the worst and best published focal-baseline per-capita hearts (empty before publication)."""
    from gridenv_evals.baselines import reference_scores

    published = reference_scores().get(suite.full_name, {})
    if not all(uri in published for uri in FOCAL_BASELINES):
        return {}
    bounds = {}
    for task in suite.tasks:
        values = [published[uri]["scenario_hearts"][task.name] for uri in FOCAL_BASELINES]
        bounds[task.name] = (min(values), max(values))
    return bounds


def build_cooperation_results(suite: Suite, uri: str, rows: dict[str, list[dict[str, float]]],
                              bounds: dict[str, tuple[float, float]] | None = None) -> CooperationResults:
    bounds = baseline_bounds(suite) if bounds is None else bounds
    tasks = [task for task in suite.tasks if task.name in rows]
    scenarios, scored, per_task_hearts = [], [], []
    for task in tasks:
        episodes = rows[task.name]
        hearts = np.array([e["hearts"] for e in episodes])
        per_task_hearts.append(hearts)
        score = None
        if task.name in bounds:
            low, high = bounds[task.name]
            normalised = normalize(hearts, low, high)
            if not np.isnan(normalised).any():
                scored.append(normalised)
                score = float(normalised.mean())
        _, background, kinship = task.name.split("/")
        scenarios.append(Scenario(
            name=task.name, substrate=task.kind, background=background, kinship=kinship,
            seeds=[int(e["seed"]) for e in episodes], hearts=float(hearts.mean()),
            hearts_ci95=stratified_bootstrap_ci([hearts], np.mean), paid_return=float(np.mean(
                [e["paid_return"] for e in episodes])), score=score,
            measures={m: float(np.mean([e[m] for e in episodes])) for m in MEASURES},
            episodes=[{k: float(v) for k, v in e.items()} for e in episodes]))
    by_kinship = {}
    for kinship in sorted({s.kinship for s in scenarios}):
        chosen = [s for s in scenarios if s.kinship == kinship]
        entry = {"hearts": float(np.mean([s.hearts for s in chosen]))}
        scores = [s.score for s in chosen if s.score is not None]
        if scores:
            entry["score"] = float(np.mean(scores))
        entry.update({m: float(np.mean([s.measures[m] for s in chosen])) for m in MEASURES})
        by_kinship[kinship] = entry
    flat_hearts = np.concatenate(per_task_hearts)
    return CooperationResults(
        **provenance(suite, uri), episodes_per_scenario=len(rows[tasks[0].name]), normalised_by={k: tuple(v) for k, v in bounds.items()},
        scenarios=scenarios,
        score=MeanCI(mean=float(np.concatenate(scored).mean()), ci95=stratified_bootstrap_ci(scored, np.mean))
        if scored else None,
        scored_scenarios=len(scored),
        hearts=MeanCI(mean=float(flat_hearts.mean()), ci95=stratified_bootstrap_ci(per_task_hearts, np.mean)),
        measures={m: float(np.mean([s.measures[m] for s in scenarios])) for m in MEASURES},
        by_kinship=by_kinship)


def leaderboard(all_results: list[CooperationResults]) -> str:
    first = all_results[0]
    lines = [f"**{first.suite}-v{first.suite_version}** ({len(first.scenarios)} scenarios x "
             f"{first.episodes_per_scenario} episodes; focal per-capita; 95% stratified-bootstrap CIs)", "",
             "| policy | score (normalised) | hearts | shared kin / non-kin | attacks kin / non-kin | "
             "stolen kin / non-kin | joint uses kin / non-kin |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in sorted(all_results, key=lambda r: -(r.score.mean if r.score else -1e9)):
        score = f"{r.score.mean:.3f} [{r.score.ci95[0]:.3f}, {r.score.ci95[1]:.3f}] ({r.scored_scenarios})" \
            if r.score else "- (unpublished bounds)"
        m = r.measures
        lines.append(f"| `{r.policy}` | {score} | {r.hearts.mean:.2f} [{r.hearts.ci95[0]:.2f}, {r.hearts.ci95[1]:.2f}]"
                     f" | {m['shared_kin']:.1f} / {m['shared_nonkin']:.1f} | {m['attacks_kin']:.2f} / "
                     f"{m['attacks_nonkin']:.2f} | {m['stolen_kin']:.2f} / {m['stolen_nonkin']:.2f} | "
                     f"{m['joint_uses_kin']:.2f} / {m['joint_uses_nonkin']:.2f} |")
    return "\n".join(lines)


def csv_table(all_results: list[CooperationResults]) -> tuple[list[str], list[list]]:
    """results.csv: one row per policy and scenario."""
    header = ["policy", "suite", "scenario", "substrate", "background", "kinship", "hearts", "score", "paid_return",
              *MEASURES]
    rows = [[r.policy, f"{r.suite}-v{r.suite_version}", s.name, s.substrate, s.background, s.kinship,
             f"{s.hearts:.4f}", "" if s.score is None else f"{s.score:.4f}", f"{s.paid_return:.4f}",
             *[f"{s.measures[m]:.4f}" for m in MEASURES]] for r in all_results for s in r.scenarios]
    return header, rows


def summary_png(all_results: list[CooperationResults]) -> bytes:
    """Focal per-capita hearts per substrate and background, policies side by side (95% CIs)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = list(dict.fromkeys((s.substrate, s.background) for s in all_results[0].scenarios))  # suite order
    width = 0.8 / len(all_results)
    figure, axes = plt.subplots(figsize=(max(8, 0.6 * len(groups)), 4.5))
    for i, r in enumerate(all_results):
        values = [np.mean([s.hearts for s in r.scenarios if (s.substrate, s.background) == g]) for g in groups]
        x = np.arange(len(groups)) + (i - (len(all_results) - 1) / 2) * width
        label = f"{r.policy}: score {r.score.mean:.2f}" if r.score else r.policy
        axes.bar(x, values, width, label=label)
    axes.set_xticks(np.arange(len(groups)), [f"{a}\n{b}" for a, b in groups], rotation=60, ha="right", fontsize=7)
    axes.set_ylabel("focal per-capita hearts (mean over kinship conditions)")
    first = all_results[0]
    axes.set_title(f"{first.suite}-v{first.suite_version}")
    axes.legend(fontsize=7)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()
