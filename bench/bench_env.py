"""Agent-steps per second of one gridenv world with random actions: the engine loop and the PettingZoo API path.

    python bench/bench_env.py [--env arena] [--seconds 3] [--all-mechanics] [--kinship SCHEME]

--all-mechanics gives every agent of the env every action kind (build, destroy, bond and switch_body too, with a
posture body in every group); --kinship picks the reward-sharing scheme (selfish, teams, random, clans, bonds).

Prints one figure a line (`name value`). The engine figure steps the C++ world directly through its bound buffers
(actions pre-drawn, copied in with numpy); resets at max_steps are inside the timed loop. Run on one core
(the engine is single-threaded; set OMP/BLAS threads to 1 so numpy does not spread).
"""

from __future__ import annotations

import argparse
import os
import resource
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import gridenv  # noqa: E402


def engine_loop(env, seconds: float) -> tuple[float, float]:
    world, n = env.world, len(env.possible_agents)
    pool = np.random.default_rng(0).integers(0, world.num_actions, size=(4096, n), dtype=np.int32)
    env.reset(seed=0)
    for t in range(200):  # warm-up
        np.copyto(env._actions, pool[t])
        world.step()
    steps, start = 0, time.perf_counter()
    while True:
        for _ in range(256):
            if world.episode_over:
                world.reset(steps)
            np.copyto(env._actions, pool[steps & 4095])
            world.step()
            steps += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            break
    stats = np.asarray(world.stats())
    names = env.stat_names
    attempted = sum(stats[:, i].sum() for i, name in enumerate(names) if name.startswith("action.")
                    and not name.endswith(".failed"))
    failed = sum(stats[:, i].sum() for i, name in enumerate(names) if name.endswith(".failed"))
    return steps * n / elapsed, failed / max(attempted, 1)


def pettingzoo_loop(env, seconds: float) -> float:
    n = len(env.possible_agents)
    rng = np.random.default_rng(1)
    pool = [dict(zip(env.possible_agents, row)) for row in rng.integers(0, env.world.num_actions, (1024, n)).tolist()]
    env.reset(seed=0)
    agent_steps, t, start = 0, 0, time.perf_counter()
    while True:
        for _ in range(64):
            if not env.agents:
                env.reset()
            env.step(pool[t & 1023])
            agent_steps += n
            t += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return agent_steps / elapsed


EVERY_ACTION = ["noop", "move_north", "move_south", "move_west", "move_east", "use", "attack", "toggle_shield", "share",
                "glyph_0", "glyph_1", "glyph_2", "glyph_3", "marker_0", "marker_1", "build", "destroy", "bond",
                "switch_body"]


def bench_config(name: str, all_mechanics: bool, kinship: str | None) -> gridenv.EnvConfig:
    """`name`, optionally with every mechanic on and another kinship scheme."""
    config = gridenv.resolve_config(name)
    overrides: dict = {}
    if all_mechanics:
        groups = [{**group.model_dump(), "posture": {**group.body.model_dump(), "energy_cap": 60}}
                  for group in config.game.groups]
        overrides["game"] = {"actions": EVERY_ACTION, "groups": groups, "build": {"cost": {}}}
    if kinship is not None:
        overrides["kinship"] = {"scheme": kinship}
    return gridenv.resolve_config(config, **overrides) if overrides else config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="arena")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--all-mechanics", action="store_true", help="every action kind and a posture body")
    parser.add_argument("--kinship", choices=["selfish", "teams", "random", "clans", "bonds"], default=None)
    args = parser.parse_args()
    config = bench_config(args.env, args.all_mechanics, args.kinship)
    env = gridenv.parallel_env(config)
    env.reset(seed=0)
    engine, failed_share = engine_loop(env, args.seconds)
    pettingzoo = pettingzoo_loop(gridenv.parallel_env(config), args.seconds)
    world = env.world
    print(f"env {env.config.full_name} agents {len(env.possible_agents)} obs_shape {env._observations.shape[1:]} "
          f"actions {world.num_actions} kinship {env.config.kinship.scheme}")
    print(f"engine_agent_steps_per_s {engine:.0f}")
    print(f"pettingzoo_agent_steps_per_s {pettingzoo:.0f}")
    print(f"engine_failed_action_share {failed_share:.3f}")
    print(f"world_memory_bytes {world.memory_bytes}")
    buffers = (env._observations, env._actions, env._rewards, env._terminals, env._truncations)
    print(f"world_buffer_bytes {sum(b.nbytes for b in buffers)}")
    print(f"process_max_rss_mib {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")


if __name__ == "__main__":
    main()
