"""The ``gridenv`` command: list, show and render the registered environments; record, watch and play episodes.

    gridenv list
    gridenv show arena game.num_agents=12 kinship.scheme=clans
    gridenv show arena --format rules --out arena.rules     (the engine's rules file, for gridenv_bench)
    gridenv render maze --seed 3 --out maze.png
    gridenv record arena --steps 1000 --out arena.json.z [--policy URI] [--seed S]
    gridenv replay arena.json.z [--port P] [--no-browser]
    gridenv play arena-small [--policy URI] [--agent N]
"""

from __future__ import annotations

import argparse
import sys

from gridenv import _core
from gridenv.atomic_file import write_atomic
from gridenv.envs import describe, list_envs, resolve_config
from gridenv.overrides import apply_overrides
from gridenv.parallel_env import GridParallelEnv
from gridenv.render import write_png


def _config(name: str, overrides: list[str]):
    return apply_overrides(resolve_config(name), overrides)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gridenv", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="registered environments, one a line")
    show = commands.add_parser("show", help="print the resolved config of an environment")
    show.add_argument("name")
    show.add_argument("overrides", nargs="*", help="dotted key=value overrides")
    show.add_argument("--format", choices=["yaml", "json", "rules"], default="yaml",
                      help="yaml, json, or rules: the engine's binary rules file (needs --out) [yaml]")
    show.add_argument("--out", help="write to this file (atomically) instead of printing")
    render = commands.add_parser("render", help="render a map of an environment to PNG (or text)")
    render.add_argument("name")
    render.add_argument("overrides", nargs="*", help="dotted key=value overrides")
    render.add_argument("--seed", type=int, default=0)
    render.add_argument("--out", help="PNG file to write; without it the map is printed as text")
    record = commands.add_parser("record", help="play an episode with a policy and write its replay (.json.z)")
    record.add_argument("name")
    record.add_argument("overrides", nargs="*", help="dotted key=value overrides")
    record.add_argument("--steps", type=int, default=None,
                        help="episode length (sets game.max_steps) [the env's own]")
    record.add_argument("--out", required=True, help="replay file to write (.json.z)")
    record.add_argument("--policy", default=None,
                        help="policy URI: random, random?seed=S, or (with gridenv-evals installed) baseline://NAME, "
                             "sb3://PATH.zip, py://module:factory, a gridenv-train checkpoint or run directory "
                             "[random]")
    record.add_argument("--seed", type=int, default=0)
    replay = commands.add_parser("replay", help="watch a replay in the browser (serves the viewer on 127.0.0.1)")
    replay.add_argument("file")
    replay.add_argument("--port", type=int, default=0, help="port [a free one]")
    replay.add_argument("--host", default="127.0.0.1", help="address to bind [127.0.0.1: this machine only]")
    replay.add_argument("--no-browser", action="store_true", help="only print the URL")
    play = commands.add_parser("play", help="drive one agent of a live world from the browser; saves a replay")
    play.add_argument("name")
    play.add_argument("overrides", nargs="*", help="dotted key=value overrides")
    play.add_argument("--policy", default=None, help="policy URI for the other agents (as for record) [random]")
    play.add_argument("--agent", type=int, default=0, help="the agent you drive [0]")
    play.add_argument("--seed", type=int, default=0)
    play.add_argument("--out", default=None, help="replay file saved on exit [play-ENV-TIME.json.z]")
    play.add_argument("--port", type=int, default=0, help="port [a free one]")
    play.add_argument("--host", default="127.0.0.1", help="address to bind [127.0.0.1: this machine only]")
    play.add_argument("--no-browser", action="store_true", help="only print the URL")
    args = parser.parse_args(argv)

    try:
        if args.command == "list":
            for name in list_envs():
                config = resolve_config(name)
                print(f"{config.full_name:20s} {describe(name)}")
        elif args.command == "show":
            _show(args)
        elif args.command == "render":
            config = _config(args.name, args.overrides)
            env = GridParallelEnv(config, render_mode="rgb_array" if args.out else "ansi")
            env.reset(seed=args.seed)
            if args.out:
                write_png(args.out, env.render())
                print(f"wrote {args.out} ({config.full_name}, seed {args.seed})")
            else:
                print(env.render(), end="")
        elif args.command == "record":
            _record(args)
        elif args.command == "replay":
            from gridenv.server import serve_replay

            return serve_replay(args.file, host=args.host, port=args.port, open_browser=not args.no_browser)
        elif args.command == "play":
            from gridenv.server import serve_play

            config = _config(args.name, args.overrides)
            return serve_play(config, agent=args.agent, policy=args.policy, seed=args.seed, out=args.out,
                              host=args.host, port=args.port, open_browser=not args.no_browser)
    except (ValueError, OSError) as error:
        print(f"gridenv: error: {error}", file=sys.stderr)
        return 2
    return 0


def _show(args) -> None:
    config = _config(args.name, args.overrides)
    if args.format == "rules":
        if not args.out:
            raise ValueError("--format rules: binary, give --out FILE")
        write_atomic(args.out, _core.encode_rules(config.to_rules()))
        print(f"wrote {args.out} ({config.full_name}: the engine's rules, read by gridenv_bench)")
        return
    text = config.to_json() if args.format == "json" else config.to_yaml()
    if args.out:
        write_atomic(args.out, text)
        print(f"wrote {args.out} ({config.full_name})")
    else:
        print(text, end="")


def _record(args) -> None:
    import time

    from gridenv.replay import load_policy_uri, record_episode

    overrides = list(args.overrides)
    if args.steps is not None:
        if args.steps < 1:
            raise ValueError(f"--steps: expected an int >= 1, got {args.steps}")
        overrides.append(f"game.max_steps={args.steps}")
    config = _config(args.name, overrides)
    env = GridParallelEnv(config)
    policy = load_policy_uri(args.policy, env, seed=args.seed)
    start = time.perf_counter()
    recorder, path = record_episode(env, policy, args.out, seed=args.seed, policy_name=args.policy or "random",
                                    recorded_by="gridenv record")
    size = path.stat().st_size
    print(f"wrote {path} ({config.full_name}, seed {args.seed}, {recorder.num_steps} steps, "
          f"{recorder.num_agents} agents, {size / 1e6:.2f} MB, {time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    sys.exit(main())
