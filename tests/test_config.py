"""Config models: defaults, round-trips, and a clear error naming the field for each kind of bad input."""

import numpy as np
import pytest

import gridenv
from gridenv import EnvConfig


@pytest.mark.parametrize("name", gridenv.list_envs())
@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_configs_round_trip_through_files(tmp_path, name, suffix):
    config = gridenv.resolve_config(name)
    path = tmp_path / f"config{suffix}"
    config.save(path)
    loaded = EnvConfig.load(path)
    assert loaded == config
    assert loaded.to_rules().max_steps == config.game.max_steps


def test_named_envs_and_versions_resolve():
    assert gridenv.resolve_config("arena-v0") == gridenv.resolve_config("arena")
    assert gridenv.parallel_env("arena-small").metadata["name"] == "gridenv/arena-small-v0"
    with pytest.raises(ValueError, match="unknown environment 'arenaa'; registered: arena, arena-demo, arena-small"):
        gridenv.resolve_config("arenaa")
    with pytest.raises(ValueError, match="version 3 does not exist; current is arena-v0"):
        gridenv.resolve_config("arena-v3")


def test_overrides_merge_into_the_named_config():
    config = gridenv.resolve_config("arena", game={"max_steps": 77}, map={"width": 40})
    assert config.game.max_steps == 77 and config.map.width == 40 and config.map.height == 32
    assert len(config.game.groups) == 4


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"game": {"max_steps": 0}}, r"game\.max_steps\n  Input should be greater than or equal to 1"),
        ({"game": {"obs_height": 10}}, r"game\.obs_height: must be odd so the agent sits at the centre, got 10"),
        ({"game": {"actions": ["noop", "fly"]}}, r"unknown action 'fly'; allowed: noop, move_north"),
        ({"game": {"resources": ["diamond", "energy", "heart"]}}, r"game\.resources: the first resource must be 'energy'"),
        ({"game": {"rewards": {"gold": 1.0}}}, r"rewards: unknown resource 'gold'"),
        ({"game": {"max_stepz": 5}}, r"game\.max_stepz\n  Extra inputs are not permitted"),
        ({"map": {"wall_density": 1.5}}, r"map\.wall_density\n  Input should be less than 1"),
        ({"map": {"converter_counts": {"forge": 1}}}, r"map\.converter_counts: unknown converter 'forge'"),
        ({"game": {"converters": {"mine": {"symbol": "#"}}}}, r"game\.converters\.mine\.symbol"),
        ({"game": {"groups": [{"name": "a", "body": {"energy_cap": 300}}]}}, r"energy_cap\n  Input should be less"),
        ({"game": {"groups": [{"name": "a", "body": {"initial_energy": 90, "energy_cap": 50}}]}},
         r"initial_energy \(90\) exceeds energy_cap \(50\)"),
        ({"game": {"groups": [{"name": "a", "body": {"action_costs": {"jump": 1}}}]}}, r"unknown action 'jump'"),
        ({"map": {"ascii": "###\n#0\n###"}}, r"same width, got widths \[2, 3\]"),
        # amounts the engine stores as int32 and observes as uint8 are bounded in the config itself, so a value like
        # 10**12 names its field here instead of failing as an opaque binding TypeError later
        ({"game": {"converters": {"mine": {"symbol": "m", "outputs": {"diamond": 10**12}}}}},
         r"game\.converters\.mine\.outputs\.diamond\n  Input should be less than or equal to 255"),
        ({"game": {"converters": {"mine": {"symbol": "m", "inputs": {"energy": -1}}}}},
         r"inputs\.energy\n  Input should be greater than or equal to 0"),
        ({"game": {"groups": [{"name": "a", "body": {"resource_caps": {"diamond": 300}}}]}},
         r"resource_caps\.diamond\n  Input should be less than or equal to 255"),
        ({"game": {"build": {"cost": {"diamond": 256}}}}, r"build\.cost\.diamond"),
        ({"game": {"converters": {"mine": {"symbol": "m", "max_uses": 10**12}}}}, r"max_uses\n  Input should be less"),
        ({"map": {"converter_counts": {"mine": 70000}}}, r"map\.converter_counts\.mine\n  Input should be less"),
        ({"game": {"rewards": {"heart": float("nan")}}}, r"game\.rewards\.heart\n  Input should be a finite number"),
        ({"map": {"wall_density": float("nan")}}, r"map\.wall_density\n  Input should be a finite number"),
    ],
)
def test_bad_config_values_are_rejected_naming_the_field(overrides, message):
    with pytest.raises(ValueError, match=message):
        gridenv.resolve_config("arena-small", **overrides)


def test_map_problems_found_by_the_engine_name_the_cause():
    with pytest.raises(ValueError, match=r"map.agents, map.converter_counts: 200 agents and 8 converters do not fit "
                                         r"inside the border of a 12x12 map \(100 cells\)"):
        gridenv.resolve_config("arena-small", game={"num_agents": 200})  # refused with the config, by the engine
    with pytest.raises(ValueError, match=r"unknown symbol 'x' at row 1, column 2; legend: '#' wall"):
        gridenv.parallel_env({"game": {"num_agents": None}, "map": {"ascii": "####\n#0x#\n####"}})
    with pytest.raises(ValueError, match=r"game\.num_agents: 24 but the ASCII map places 1 agent"):
        gridenv.parallel_env({"map": {"ascii": "###\n#0#\n###"}})
    with pytest.raises(ValueError, match="at least one agent is required"):
        gridenv.parallel_env({"game": {"num_agents": None}, "map": {"ascii": "###\n#.#\n###"}})


def test_bad_actions_are_rejected_before_the_engine_steps():
    env = gridenv.parallel_env("arena-small")
    env.reset(seed=0)
    good = {agent: 0 for agent in env.agents}
    with pytest.raises(ValueError, match=r"actions\['agent_1'\]: expected an int in \[0, 14\], got 15"):
        env.step({**good, "agent_1": 15})
    with pytest.raises(ValueError, match=r"actions\['agent_0'\]: expected an int in \[0, 14\], got -1"):
        env.step({**good, "agent_0": -1})
    with pytest.raises(ValueError, match=r"expected an int in \[0, 14\], got 1.5"):
        env.step({**good, "agent_0": 1.5})
    with pytest.raises(ValueError, match=r"no action for live agent\(s\) \['agent_3'\]"):
        env.step({agent: 0 for agent in env.agents[:3]})
    with pytest.raises(ValueError, match=r"\['agent_99'\] are not live agents"):
        env.step({**good, "agent_99": 0})
    env.step({**good, "agent_0": np.int64(3)})  # numpy integers are fine
    assert env.world.step_count == 1


def test_the_engine_itself_rejects_bad_buffers_and_actions():
    env = gridenv.parallel_env("arena-small")
    world = env.world
    n = world.num_agents
    observations = np.zeros((n, world.num_channels, 11, 11), np.uint8)
    with pytest.raises(ValueError, match=r"actions: expected shape \(4,\) got \(5,\)"):
        world.bind_buffers(observations, np.zeros(5, np.int32), np.zeros(n, np.float32), np.zeros(n, bool),
                           np.zeros(n, bool))
    with pytest.raises(TypeError):  # wrong dtype: no silent conversion
        world.bind_buffers(observations, np.zeros(n, np.int64), np.zeros(n, np.float32), np.zeros(n, bool),
                           np.zeros(n, bool))
    with pytest.raises(TypeError):  # not C-contiguous: no silent copy either
        world.bind_buffers(observations, np.zeros(2 * n, np.int32)[::2], np.zeros(n, np.float32), np.zeros(n, bool),
                           np.zeros(n, bool))
    env.reset(seed=0)
    env._actions[:] = [0, 0, 19, 0]
    with pytest.raises(ValueError, match=r"actions\[2\]: must be in \[0, 14\], got 19"):
        world.step()
    assert world.step_count == 0
    unbound = gridenv._core.World(env.config.to_rules())
    with pytest.raises(RuntimeError, match="bind_buffers must be called first"):
        unbound.step()


def test_two_threads_stepping_one_world_get_an_error_not_a_race():
    # The GIL is released inside step/send/recv, so Python threads really can enter one world at once; the engine
    # refuses the second caller instead of letting both write the same grid and buffers.
    import threading

    import gridenv.vector

    vec = gridenv.vector.make("arena", num_envs=32, num_threads=1, seed=0)
    world = gridenv.parallel_env("arena")
    world.reset(seed=0)
    errors, collisions = [], []

    def hammer(step):
        for _ in range(150):
            try:
                step()
            except RuntimeError as error:
                (collisions if "another thread is using this object" in str(error) else errors).append(error)
            except Exception as error:  # anything else is a failure
                errors.append(error)

    for step in (vec.core.step, world.world.step):
        threads = [threading.Thread(target=hammer, args=(step,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors, errors[:3]
    assert collisions  # they did meet, and were told
    vec.step(np.zeros(vec.num_agents, np.int32))  # and the worlds still step afterwards
    assert world.world.step_count > 0


def test_reading_a_world_while_another_thread_resets_it_raises_instead_of_racing():
    # Accessors copy vectors that reset, step and load_state rewrite (or replace) with the GIL released.
    import threading

    env = gridenv.parallel_env("arena")
    env.reset(seed=0)
    errors, collisions, reads = [], [], [0]
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                env.world.converter_states(), env.world.agent_positions(), env.world.raw_rewards
                reads[0] += 1
            except RuntimeError as error:
                (collisions if "another thread is using this object" in str(error) else errors).append(error)

    thread = threading.Thread(target=reader)
    thread.start()
    resets = 0
    try:
        for seed in range(300):
            try:
                env.world.reset(seed)
                resets += 1
            except RuntimeError as error:  # the reader took the world between this call's GIL release and its guard
                (collisions if "another thread is using this object" in str(error) else errors).append(error)
    finally:
        stop.set()
        thread.join()
    assert not errors and collisions and reads[0] > 0 and resets > 0


def test_a_world_that_was_never_reset_refuses_to_step_and_unfittable_mazes_are_refused_when_made():
    env = gridenv.parallel_env("maze-small")
    env.reset(seed=0)
    world = gridenv._core.World(env.config.to_rules())
    world.bind_buffers(env._observations, env._actions, env._rewards, env._terminals, env._truncations)
    with pytest.raises(RuntimeError, match="has not been reset"):
        world.step()
    # A maze's open cells are fixed by its size: too many converters for them are refused when the world is made
    # (a trial draw), not at a later (auto-)reset.
    config = env.config.to_rules()
    config.map.converter_counts = [60]  # 31 open cells in a 9x9 maze
    with pytest.raises(ValueError, match="do not fit"):
        gridenv._core.World(config)


def test_composite_nesting_is_bounded():
    nested = {"generator": "maze", "width": 7, "height": 7, "converter_counts": {}}
    for _ in range(10):
        nested = {"generator": "composite", "parts": [nested]}
    with pytest.raises(ValueError, match="composite maps nest at most 8 deep"):
        gridenv.parallel_env({"game": {"num_agents": 1}, "map": nested})
