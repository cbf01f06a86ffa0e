"""Policies for py:// URIs in the tests (importable: the tests folder is on sys.path under pytest)."""

import numpy as np

CALLS: list[int] = []


class Fixed:
    def __init__(self, observation_shape=None, num_actions=None):
        if observation_shape is not None:
            self.observation_shape = observation_shape
        if num_actions is not None:
            self.num_actions = num_actions

    def initial_state(self, batch):
        return None

    def act(self, observations, state, dones):
        CALLS.append(len(observations))
        return np.zeros(len(observations), np.int32), state


def wrong_observations(spec):
    return Fixed(observation_shape=(14, 11, 11))


def wrong_actions(spec):
    return Fixed(num_actions=4)


def not_a_policy(spec):
    return "hello"


def counting(spec):
    CALLS.clear()
    return Fixed(spec.observation_shape, spec.num_actions)
