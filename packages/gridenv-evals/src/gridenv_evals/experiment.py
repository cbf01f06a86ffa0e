"""The kinship experiment: does the kinship scheme a learner trains under change how it cooperates?

    gridenv-eval experiment kinship --budget 500000 --seeds 3 --episodes 2 --out kinship/   (18.6 min on 2 cores)

For every scheme (selfish, teams, clans, random, bonds) and seed, gridenv-train trains the same learner (its CNN +
LSTM, the arena-demo overlay's hyperparameters) on one cooperation substrate (``--substrate``, default
division-of-labour: hearts need a miner's energy shared to a crafter) under that scheme, for ``--budget``
agent-steps; every agent of the training worlds is the learner (self-play). Each final checkpoint then plays
cooperation-v1 as the focal policy. The experiment writes, atomically, ``runs.json`` (every run's results),
``kinship.csv`` and ``kinship.md`` (per scheme: the mean over seeds with a 95% bootstrap CI over seeds of the
normalised score, focal per-capita hearts, and the social measures by kin and non-kin) and ``kinship.png``.

``--jobs J`` runs J trainings at once (each with one torch and one env thread: the default 2 fits a 2-core machine).
To scale up, raise ``--budget`` and ``--seeds``, and train each run across processes or GPUs with
``--torchrun N`` (each training becomes ``torchrun --nproc-per-node N -m gridenv_train``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from gridenv.atomic_file import write_atomic
from gridenv_evals.metrics import stratified_bootstrap_ci

SCHEMES = ("selfish", "teams", "clans", "random", "bonds")
COLUMNS = ("score", "hearts", "shared_kin", "shared_nonkin", "attacks_kin", "attacks_nonkin", "stolen_kin",
           "stolen_nonkin", "joint_uses_kin", "joint_uses_nonkin")
# The learner: the README main job's settings (arena-demo's overlay), one torch and one env thread per run.
TRAINER = {"num_envs": 64, "update_epochs": 1, "learning_rate": 0.003, "torch_threads": 1, "num_threads": 1,
           "eval_episodes": 0}


def training_config(substrate_name: str, scheme: str):
    """The substrate with training rewards under ``scheme`` (random: Beta(1, 1) pair weights, drawn per episode)."""
    from gridenv.config import KinshipConfig

    from gridenv_evals.suites.cooperation import KINSHIP, substrate

    config = substrate(substrate_name, "selfish", training=True)
    kinship = KINSHIP.get(scheme) or KinshipConfig(scheme=scheme)
    return config.model_copy(update={"kinship": kinship.model_copy()})


def run_one(out: str, substrate_name: str, scheme: str, seed: int, budget: int, torchrun: int,
            episodes: int | None) -> dict:
    """Train one learner and evaluate it on cooperation-v1; returns the run's row (also in out/runs/NAME.json)."""
    from gridenv_evals.cooperation import build_cooperation_results, run_cooperation
    from gridenv_evals.policies import load_policy
    from gridenv_evals.runner import task_spec
    from gridenv_evals.suites import get_suite

    out_dir = Path(out)
    name = f"{scheme}-seed{seed}"
    config_path = out_dir / "configs" / f"{substrate_name}-{scheme}.yaml"
    config_path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(config_path, training_config(substrate_name, scheme).to_yaml().encode())
    launcher = [sys.executable, "-m", "gridenv_train"] if torchrun <= 1 else \
        [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(torchrun), "-m", "gridenv_train"]
    overrides = {**TRAINER, "seed": seed, "total_timesteps": budget}
    command = [*launcher, "--env", str(config_path), "--run-name", name, "--train-dir", str(out_dir / "train"),
               "--no-progress", *[f"trainer.{k}={v}" for k, v in overrides.items()]]
    start = time.perf_counter()
    log = out_dir / "logs" / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as handle:
        finished = subprocess.run(command, stdout=handle, stderr=subprocess.STDOUT,
                                  env={**os.environ, "OMP_NUM_THREADS": "1"})
    if finished.returncode != 0:
        raise RuntimeError(f"training {name} failed (exit {finished.returncode}); see {log}")
    trained = time.perf_counter() - start
    suite = get_suite("cooperation-v1")
    uri = str(out_dir / "train" / name)
    policy = load_policy(uri, task_spec(suite.tasks[0]), protocol="cooperation")
    results = build_cooperation_results(suite, uri, run_cooperation(suite, policy, uri, episodes))
    row = {"scheme": scheme, "seed": seed, "substrate": substrate_name, "budget": budget,
           "train_seconds": round(trained, 1), "eval_seconds": round(time.perf_counter() - start - trained, 1),
           "score": results.score.mean if results.score else None, "hearts": results.hearts.mean,
           **results.measures, "by_kinship": results.by_kinship}
    write_atomic(out_dir / "runs" / f"{name}.json", (json.dumps(row, indent=1) + "\n").encode())
    return row


def run_kinship(out: Path, budget: int, seeds: int, substrate_name: str = "division-of-labour", jobs: int = 2,
                torchrun: int = 1, episodes: int | None = None, schemes: tuple[str, ...] = SCHEMES,
                log=print) -> list[dict]:
    """Every (scheme, seed) run, then the table and plot; returns the rows."""
    from gridenv_evals.suites.cooperation import SUBSTRATES

    if substrate_name not in SUBSTRATES:
        raise ValueError(f"--substrate: one of {', '.join(SUBSTRATES)}, got {substrate_name!r}")
    for field, value, low in (("--budget", budget, 1), ("--seeds", seeds, 1), ("--jobs", jobs, 1),
                              ("--torchrun", torchrun, 1)):
        if value < low:
            raise ValueError(f"{field}: expected an int >= {low}, got {value}")
    unknown = set(schemes) - set(SCHEMES)
    if unknown:
        raise ValueError(f"--schemes: unknown {sorted(unknown)}; choose from {', '.join(SCHEMES)}")
    try:
        import gridenv_train  # noqa: F401
    except ImportError:
        raise ValueError("the kinship experiment trains with gridenv-train: pip install ./packages/gridenv-train") \
            from None
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    jobs_list = [(str(out), substrate_name, scheme, seed, budget, torchrun, episodes)
                 for seed in range(1, seeds + 1) for scheme in schemes]
    start = time.perf_counter()
    rows = []
    import multiprocessing

    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(run_one, *job) for job in jobs_list]
        for future in futures:
            row = future.result()
            rows.append(row)
            log(f"kinship: {row['scheme']} seed {row['seed']}: hearts {row['hearts']:.2f}, score "
                f"{row['score'] if row['score'] is None else round(row['score'], 3)} (train {row['train_seconds']} s,"
                f" eval {row['eval_seconds']} s; {time.perf_counter() - start:.0f} s so far)")
    write_tables(out, rows, time.perf_counter() - start)
    return rows


def summarize(rows: list[dict]) -> dict[str, dict[str, tuple[float, float, float]]]:
    """Per scheme and column: (mean over seeds, CI low, CI high), a 95% percentile bootstrap over seeds."""
    table = {}
    for scheme in [s for s in SCHEMES if any(r["scheme"] == s for r in rows)]:
        chosen = [r for r in rows if r["scheme"] == scheme]
        table[scheme] = {}
        for column in COLUMNS:
            values = np.array([r[column] for r in chosen if r[column] is not None], dtype=np.float64)
            if values.size == 0:
                continue
            low, high = stratified_bootstrap_ci([values], np.mean)
            table[scheme][column] = (float(values.mean()), low, high)
    return table


def write_tables(out: Path, rows: list[dict], seconds: float) -> None:
    table = summarize(rows)
    seeds = len({r["seed"] for r in rows})
    first = rows[0]
    lines = [f"Kinship experiment: {first['substrate']}, {first['budget']:,} agent-steps per run, {seeds} seed(s) "
             f"per scheme, {len(rows)} runs in {seconds / 60:.1f} min; evaluated as focal agents on cooperation-v1. "
             f"Mean over seeds [95% bootstrap CI over seeds]; measures per focal agent per episode.", "",
             "| scheme | score | hearts | shared kin | shared non-kin | attacks kin | attacks non-kin | stolen kin | "
             "stolen non-kin | joint uses kin | joint uses non-kin |", "|" + " --- |" * 11]
    for scheme, columns in table.items():
        cells = []
        for column in COLUMNS:
            if column not in columns:
                cells.append("-")
                continue
            mean, low, high = columns[column]
            cells.append(f"{mean:.2f} [{low:.2f}, {high:.2f}]")
        lines.append(f"| {scheme} | " + " | ".join(cells) + " |")
    markdown = "\n".join(lines) + "\n"
    write_atomic(out / "kinship.md", markdown.encode())
    write_atomic(out / "runs.json", (json.dumps(rows, indent=1) + "\n").encode())
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["scheme", "seed", "substrate", "budget", "train_seconds", "eval_seconds", *COLUMNS])
    for r in rows:
        writer.writerow([r["scheme"], r["seed"], r["substrate"], r["budget"], r["train_seconds"], r["eval_seconds"],
                         *["" if r[c] is None else f"{r[c]:.4f}" for c in COLUMNS]])
    write_atomic(out / "kinship.csv", text.getvalue().encode())
    write_atomic(out / "kinship.png", plot(table, first["substrate"], first["budget"], seeds))
    print(markdown)


def plot(table, substrate_name: str, budget: int, seeds: int) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    schemes = list(table)
    panels = (("hearts", "focal per-capita hearts"), ("score", "normalised score"),
              (("shared_kin", "shared_nonkin"), "energy shared (kin / non-kin)"),
              (("attacks_kin", "attacks_nonkin"), "attacks (kin / non-kin)"))
    figure, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.8))
    x = np.arange(len(schemes))
    for axis, (columns, title) in zip(axes, panels):
        columns = columns if isinstance(columns, tuple) else (columns,)
        width = 0.8 / len(columns)
        for i, column in enumerate(columns):
            means = np.array([table[s].get(column, (np.nan,) * 3)[0] for s in schemes])
            low = means - np.array([table[s].get(column, (np.nan,) * 3)[1] for s in schemes])
            high = np.array([table[s].get(column, (np.nan,) * 3)[2] for s in schemes]) - means
            axis.bar(x + (i - (len(columns) - 1) / 2) * width, means, width, yerr=[low, high], capsize=3,
                     label=column if len(columns) > 1 else None)
        axis.set_xticks(x, schemes, rotation=30)
        axis.set_title(title, fontsize=9)
        if len(columns) > 1:
            axis.legend(fontsize=7)
    figure.suptitle(f"kinship experiment: {substrate_name}, {budget:,} agent-steps, {seeds} seed(s); 95% CI over "
                    f"seeds", fontsize=9)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()
