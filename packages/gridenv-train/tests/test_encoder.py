"""The optional PufferLib-style encoder (TrainerConfig.encoder = "puffer"): shapes, forward pass, the default left as
it was, and a checkpoint round trip of its weights and config."""

import numpy as np
import pytest
import torch

import gridenv
import gridenv.vector
from gridenv_train import TrainerConfig, load_policy
from gridenv_train.checkpoint import checkpoint_configs, load_checkpoint, save_checkpoint
from gridenv_train.policy import Policy, make_policy

ENV = "arena-small"


def observations(vec, steps, batch, seed=0):
    rng = np.random.default_rng(seed)
    high = vec.single_observation_space.high.astype(np.int64)
    return torch.from_numpy((rng.random((steps, batch, *high.shape)) * (high + 1)).astype(np.uint8))


def test_the_default_encoder_is_the_cnn_with_its_parameter_names():
    assert TrainerConfig().encoder == "cnn"
    vec = gridenv.vector.make(ENV, num_envs=1)
    torch.manual_seed(0)
    default = make_policy(vec, hidden_size=32)
    torch.manual_seed(0)
    cnn = make_policy(vec, hidden_size=32, encoder="cnn")
    # checkpoints of today's network keep loading: the same names, shapes and (same seed) values
    assert list(default.state_dict()) == [
        "scale", "encoder.0.weight", "encoder.0.bias", "encoder.2.weight", "encoder.2.bias",
        "self_encoder.0.weight", "self_encoder.0.bias", "project.0.weight", "project.0.bias",
        "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0",
        "actor.weight", "actor.bias", "critic.weight", "critic.bias"]
    for key, value in default.state_dict().items():
        torch.testing.assert_close(cnn.state_dict()[key], value, rtol=0, atol=0)


@pytest.mark.parametrize("hidden_size", [16, 128])
def test_the_puffer_encoder_has_pufferlibs_shape_and_runs(hidden_size):
    vec = gridenv.vector.make(ENV, num_envs=1)
    channels, height, width = vec.single_observation_space.shape
    assert (height, width) == (11, 11)
    torch.manual_seed(0)
    policy = make_policy(vec, hidden_size=hidden_size, encoder="puffer")
    conv1, conv2 = policy.encoder[0], policy.encoder[2]
    assert (conv1.kernel_size, conv1.stride, conv1.in_channels) == ((5, 5), (3, 3), channels - 1)
    assert (conv2.kernel_size, conv2.stride) == ((3, 3), (1, 1))
    assert conv1.out_channels == conv2.out_channels == max(hidden_size // 4, 8)
    assert policy.encoder[5].out_features + policy.self_encoder[0].out_features == hidden_size
    assert policy.self_encoder[0].in_features == channels - 1 + len(vec.self_feature_names)
    steps, batch = 5, 3
    obs = observations(vec, steps, batch)
    assert policy.encode(obs[0]).shape == (batch, hidden_size)
    dones = torch.zeros(steps, batch)
    dones[2, 1] = 1.0
    logits, values, (h, c) = policy(obs, policy.initial_state(batch), dones)
    assert logits.shape == (steps, batch, vec.single_action_space.n) and values.shape == (steps, batch)
    assert h.shape == c.shape == (1, batch, hidden_size)
    assert torch.isfinite(logits).all() and torch.isfinite(values).all()
    # the one-step form agrees with the sequence form, episode start included
    state = policy.initial_state(batch)
    for t in range(steps):
        actions, log_probs, entropy, step_values, state = policy.step(obs[t], state, dones[t])
        assert actions.shape == log_probs.shape == entropy.shape == (batch,)
        torch.testing.assert_close(step_values, values[t])
    # and it learns: gradients reach the first convolution and the self encoder
    (logits.sum() + values.sum()).backward()
    assert conv1.weight.grad.abs().sum() > 0 and policy.self_encoder[0].weight.grad.abs().sum() > 0
    # lighter than the default network
    default = make_policy(vec, hidden_size=hidden_size)
    assert sum(p.numel() for p in policy.parameters()) < sum(p.numel() for p in default.parameters())


def test_an_unknown_encoder_is_refused():
    with pytest.raises(ValueError, match="trainer.encoder: expected 'cnn' or 'puffer'"):
        TrainerConfig(encoder="transformer")
    vec = gridenv.vector.make(ENV, num_envs=1)
    with pytest.raises(ValueError, match="encoder: expected one of"):
        make_policy(vec, hidden_size=16, encoder="transformer")


def _puffer_checkpoint(tmp_path):
    env_config = gridenv.resolve_config(ENV)
    vec = gridenv.vector.make(env_config, num_envs=1)
    config = TrainerConfig(encoder="puffer", hidden_size=32)
    torch.manual_seed(1)
    policy = make_policy(vec, config.hidden_size, config.encoder)
    path = save_checkpoint(tmp_path / "run:v1.safetensors", {
        "policy": policy.state_dict(), "env_config": env_config.to_dict(), "trainer_config": config.to_dict()})
    return path, policy, vec


def test_a_checkpoint_round_trips_the_encoder_and_its_weights(tmp_path):
    path, policy, vec = _puffer_checkpoint(tmp_path)
    payload = load_checkpoint(path)
    env_config, config = checkpoint_configs(payload, path)
    assert config.encoder == "puffer" and config.hidden_size == 32
    space = vec.single_observation_space
    loaded = Policy(np.asarray(space.high), vec.single_action_space.n, len(vec.self_feature_names),
                    config.hidden_size, config.encoder)
    loaded.load_state_dict(payload["policy"])
    obs = observations(vec, 4, 2, seed=3)
    dones = torch.zeros(4, 2)
    expected = policy(obs, policy.initial_state(2), dones)
    got = loaded(obs, loaded.initial_state(2), dones)
    torch.testing.assert_close(got[0], expected[0], rtol=0, atol=0)
    torch.testing.assert_close(got[1], expected[1], rtol=0, atol=0)
    # the puffer weights do not fit today's network: a mismatch is an error, never a silent partial load
    cnn = Policy(np.asarray(space.high), vec.single_action_space.n, len(vec.self_feature_names), config.hidden_size)
    with pytest.raises(RuntimeError):
        cnn.load_state_dict(payload["policy"])


def test_load_policy_builds_the_encoder_its_checkpoint_names(tmp_path):
    path, _, _ = _puffer_checkpoint(tmp_path)
    assert load_policy(path).policy.encoder_name == "puffer"
