"""The ``gridenv`` command: list, show and render the registered environments.

    gridenv list
    gridenv show arena game.num_agents=12 kinship.scheme=clans
    gridenv render maze --seed 3 --out maze.png
"""

from __future__ import annotations

import argparse
import sys

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
    show.add_argument("--format", choices=["yaml", "json"], default="yaml")
    render = commands.add_parser("render", help="render a map of an environment to PNG (or text)")
    render.add_argument("name")
    render.add_argument("overrides", nargs="*", help="dotted key=value overrides")
    render.add_argument("--seed", type=int, default=0)
    render.add_argument("--out", help="PNG file to write; without it the map is printed as text")
    args = parser.parse_args(argv)

    try:
        if args.command == "list":
            for name in list_envs():
                config = resolve_config(name)
                print(f"{config.full_name:20s} {describe(name)}")
        elif args.command == "show":
            config = _config(args.name, args.overrides)
            print(config.to_json() if args.format == "json" else config.to_yaml(), end="")
        elif args.command == "render":
            config = _config(args.name, args.overrides)
            env = GridParallelEnv(config, render_mode="rgb_array" if args.out else "ansi")
            env.reset(seed=args.seed)
            if args.out:
                write_png(args.out, env.render())
                print(f"wrote {args.out} ({config.full_name}, seed {args.seed})")
            else:
                print(env.render(), end="")
    except ValueError as error:
        print(f"gridenv: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
