"""The MARL ecosystem around gridenv, with the real libraries: SuperSuit feeding Stable-Baselines3 PPO."""

import numpy as np

import gridenv

import supersuit  # noqa: E402  (real libraries, installed by the test extra: a missing one must fail, not skip)
import stable_baselines3  # noqa: E402


def test_supersuit_vec_env_feeds_stable_baselines3_ppo():
    env = gridenv.parallel_env("arena-small", game={"max_steps": 128})
    vec = supersuit.pettingzoo_env_to_vec_env_v1(env)
    vec = supersuit.concat_vec_envs_v1(vec, 2, num_cpus=0, base_class="stable_baselines3")
    assert vec.num_envs == 2 * 4 and vec.observation_space.shape == env.observation_space("agent_0").shape
    # no seed=: SB3 would call vec.seed(), which SuperSuit's ConcatVecEnv does not have
    model = stable_baselines3.PPO("MlpPolicy", vec, n_steps=128, batch_size=256, n_epochs=2, verbose=0)
    model.learn(total_timesteps=4096)
    assert model.num_timesteps >= 4096
    assert len(model.ep_info_buffer) >= 8  # episodes were counted through infos["episode"]["r"] / ["l"]
    observations = vec.reset()
    actions, _ = model.predict(observations)
    assert actions.shape == (8,) and ((0 <= actions) & (actions < len(env.action_names))).all()
    vec.close()


def test_pickled_env_is_a_fresh_copy_of_the_config():
    import pickle

    env = gridenv.parallel_env("arena-small", game={"max_steps": 77})
    env.reset(seed=0)
    copy = pickle.loads(pickle.dumps(env))
    assert copy.config == env.config and copy.agents == []
    observations, _ = copy.reset(seed=0)
    np.testing.assert_array_equal(observations["agent_0"], env.reset(seed=0)[0]["agent_0"])


def test_gymnasium_single_agent_env_trains_with_sb3():
    import gymnasium

    env = gymnasium.make("gridenv/MazeSmall-v0")
    model = stable_baselines3.PPO("MlpPolicy", env, n_steps=256, batch_size=64, n_epochs=1, seed=0, verbose=0)
    model.learn(total_timesteps=512)
    assert model.num_timesteps >= 512
