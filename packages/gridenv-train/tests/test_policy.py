"""The LSTM policy: state reset on episode starts, one-step and sequence forms agree."""

import numpy as np
import torch

import gridenv.vector
from gridenv_train.policy import make_policy


def policy_and_observations(steps=6, batch=3, seed=0):
    vec = gridenv.vector.make("arena-small", num_envs=1, seed=seed)
    torch.manual_seed(0)
    policy = make_policy(vec, hidden_size=16)
    rng = np.random.default_rng(seed)
    high = vec.single_observation_space.high.astype(np.int64)
    observations = torch.from_numpy((rng.random((steps, batch, *high.shape)) * (high + 1)).astype(np.uint8))
    return policy, observations


def test_the_lstm_state_resets_where_an_episode_starts():
    policy, observations = policy_and_observations()
    dones = torch.zeros(6, 3)
    dones[3, 1] = 1.0  # row 1 starts a new episode at t = 3
    state = (torch.randn(1, 3, 16), torch.randn(1, 3, 16))  # some memory from before
    logits, values, _ = policy(observations, state, dones)
    fresh_logits, fresh_values, _ = policy(observations[3:, 1:2], policy.initial_state(1), torch.zeros(3, 1))
    torch.testing.assert_close(logits[3:, 1], fresh_logits[:, 0])  # as if from a zero state
    torch.testing.assert_close(values[3:, 1], fresh_values[:, 0])
    kept_logits, _, _ = policy(observations[3:, 0:1], (logits.new_zeros(1, 1, 16),) * 2, torch.zeros(3, 1))
    assert not torch.allclose(logits[3:, 0], kept_logits[:, 0])  # row 0 kept its memory


def test_stepping_one_at_a_time_equals_the_sequence_forward():
    policy, observations = policy_and_observations()
    dones = torch.zeros(6, 3)
    dones[2, 0] = dones[4, 2] = 1.0
    state = policy.initial_state(3)
    logits, values, final = policy(observations, state, dones)
    step_state = policy.initial_state(3)
    for t in range(6):
        step_logits, step_values, step_state = policy(observations[t:t + 1], step_state, dones[t:t + 1])
        torch.testing.assert_close(step_logits[0], logits[t])
        torch.testing.assert_close(step_values[0], values[t])
    torch.testing.assert_close(step_state[0], final[0])


def test_inputs_are_scaled_into_unit_range():
    policy, observations = policy_and_observations()
    scaled = observations.float() * policy.scale
    assert scaled.max() <= 1.0 and scaled.min() >= 0.0
