"""``gridenv-train --env arena [--run NAME] [--device auto|cpu|cuda] [--resume] [key=value ...]``

Overrides are dotted ``key=value`` pairs: ``trainer.<field>=...`` for the hyperparameters listed below, and
``env.<path>=...`` for the environment config (``env.game.num_agents=12``, ``env.kinship.scheme=clans``), read as YAML
scalars (``true``/``false``, numbers, quoted strings stay strings). An unknown key is an error naming the closest.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import sys
import time

import gridenv
from gridenv.overrides import apply_overrides, split_override
from gridenv_train.config import TrainerConfig, coerce_field, env_overlay


def _trainer_help() -> str:
    lines = ["trainer hyperparameters (trainer.<name>=value; default in brackets):"]
    for field in dataclasses.fields(TrainerConfig):
        lines.append(f"  trainer.{field.name:<22} [{field.default}]  {field.metadata.get('doc', '')}")
    lines.append("environment overrides: env.<path>=value, e.g. env.game.num_agents=12 env.map.width=40 "
                 "(see `gridenv show NAME` for every key)")
    lines.append("per-environment defaults (gridenv_train/overlays.yaml), applied over the brackets and under your "
                 "overrides:")
    for name in gridenv.list_envs():
        overlay = env_overlay(name)
        if overlay:
            lines.append(f"  {name:<12} " + " ".join(f"{key}={value}" for key, value in overlay.items()))
    lines.append(f"registered environments: {', '.join(gridenv.list_envs())}")
    return "\n".join(lines)


def parse_overrides(items: list[str], env_config: gridenv.EnvConfig,
                    trainer: TrainerConfig) -> tuple[gridenv.EnvConfig, TrainerConfig]:
    """Apply ``env.*`` and ``trainer.*`` overrides; raise ValueError naming a bad key and the closest valid one."""
    fields = {f.name: f for f in dataclasses.fields(TrainerConfig)}
    env_items, trainer_values = [], {}
    for item in items:
        key, value = split_override(item)
        if key.startswith("env."):
            env_items.append(f"{key[4:]}={item.partition('=')[2]}")
        elif key.startswith("trainer."):
            name = key[len("trainer."):]
            if name not in fields:
                close = difflib.get_close_matches(name, list(fields), n=1)
                hint = f"; did you mean 'trainer.{close[0]}'?" if close else ""
                raise ValueError(f"unknown key {key!r}{hint}")
            trainer_values[name] = coerce_field(key, value, type(fields[name].default))
        else:
            candidates = [f"trainer.{name}" for name in fields] + ["env.game", "env.map", "env.kinship"]
            close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.4)
            if not close and key.split(".")[0] in fields:
                close = [f"trainer.{key}"]
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(f"override {key!r}: keys start with 'env.' or 'trainer.'{hint}")
    if env_items:
        try:
            env_config = apply_overrides(env_config, env_items)
        except ValueError as error:
            raise ValueError(f"env override: {error}") from None
    return env_config, dataclasses.replace(trainer, **trainer_values)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gridenv-train", description=__doc__, epilog=_trainer_help(),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="arena", help="registered environment name or a YAML/JSON config file "
                        "[arena]")
    parser.add_argument("--run", "--run-name", dest="run", default=None,
                        help="run name [<env>-<date>-<time>]; outputs go to <train-dir>/<run>/ (under torchrun write "
                        "--run-name: torchrun's own parser claims --run)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"], help="[auto]: CUDA if available")
    parser.add_argument("--train-dir", default="train_dir", help="[train_dir]")
    parser.add_argument("--resume", action="store_true", help="continue the run from its latest checkpoint")
    parser.add_argument("--no-progress", action="store_true",
                        help="log lines every trainer.log_interval updates instead of a progress bar (the default "
                        "when the output is not a terminal)")
    parser.add_argument("overrides", nargs="*", help="trainer.<name>=value and env.<path>=value")
    return parser


def main(argv: list[str] | None = None) -> int:
    from rich.console import Console
    from rich.table import Table

    from gridenv_train.train import train

    args = build_parser().parse_args(argv)
    try:
        if args.env.endswith((".yaml", ".yml", ".json")):
            env_config = gridenv.EnvConfig.load(args.env)
        else:
            env_config = gridenv.resolve_config(args.env)
        if args.resume and args.overrides:
            raise ValueError(f"--resume continues a run with the configs saved in its checkpoint; overrides would "
                             f"be ignored, so they are refused (got {' '.join(args.overrides)})")
        trainer = TrainerConfig(**{**TrainerConfig().to_dict(), **env_overlay(env_config.name)})
        env_config, trainer = parse_overrides(args.overrides, env_config, trainer)
        run = args.run or f"{env_config.full_name}-{time.strftime('%Y%m%d-%H%M%S')}"
        summary = train(env_config, trainer, run, args.train_dir, device=args.device, resume=args.resume,
                        progress=not args.no_progress)
    except (ValueError, FileNotFoundError) as error:
        print(f"gridenv-train: error: {error}", file=sys.stderr)  # plain: an error line must not be re-wrapped
        return 2
    except (RuntimeError, MemoryError, OSError) as error:  # torch (e.g. out of memory) or the file system
        print(f"gridenv-train: error: {type(error).__name__}: {str(error).strip() or 'no message'}", file=sys.stderr)
        return 1
    if summary.get("checkpoint") is None:  # a non-zero rank under torchrun
        return 0
    table = Table(title=f"gridenv-train: {summary['run']}", show_header=False)
    table.add_column("what")
    table.add_column("value")
    table.add_row("environment", summary["env"])
    table.add_row("agent-steps", f"{summary['global_step']:,}" + (f" ({summary['world_size']} ranks)"
                                                                   if summary["world_size"] > 1 else ""))
    table.add_row("agent-steps per second", f"{summary['sps']:,.0f}")
    table.add_row("time share env / inference / learn",
                  " / ".join(f"{summary['time_share'][k]:.0%}" for k in ("env", "inference", "learn")))
    stats = summary["last_episode_stats"]
    table.add_row("episodes finished (agent-episodes)", f"{summary.get('episodes', 0):,}")
    if stats:
        table.add_row("last episodes: return / hearts per agent",
                      f"{stats['reward']:.3f} / {stats.get('heart.gained', 0.0):.3f}")
    if "eval_suite" in summary:
        scores = summary["eval_suite"]
        success, spl = scores["aggregates"]["success"], scores["aggregates"]["spl"]
        table.add_row(f"{scores['suite']} ({scores['episodes_per_task']} episodes per task): success / SPL",
                      f"{success['mean']:.3f} [{success['ci95'][0]:.3f}, {success['ci95'][1]:.3f}] / "
                      f"{spl['mean']:.3f} [{spl['ci95'][0]:.3f}, {spl['ci95'][1]:.3f}]")
    if "eval" in summary:
        trained, random = summary["eval"], summary["eval_random"]
        table.add_row(f"eval ({trained['episodes']} episodes) return per agent: trained vs random",
                      f"{trained['mean_return']:.3f} vs {random['mean_return']:.3f}")
        table.add_row("eval hearts per agent per episode: trained vs random",
                      f"{trained['stats'].get('heart.gained', 0.0):.3f} vs "
                      f"{random['stats'].get('heart.gained', 0.0):.3f}")
        table.add_row("replay", f"{summary['replay']['steps']} steps, return per agent "
                                f"{summary['replay']['return']:.3f}")
    # Off a terminal rich would assume 80 columns and fold the rows; logs get the table whole.
    Console(width=None if sys.stdout.isatty() else 140).print(table)
    print(f"checkpoint: {summary['checkpoint']}")
    print(f"tensorboard: tensorboard --logdir {summary['tensorboard']}")
    if "replay" in summary:
        print(f"replay: {summary['replay']['path']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
