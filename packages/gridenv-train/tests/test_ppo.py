"""PPO pieces against hand-computed values."""

import math

import pytest
import torch

from gridenv_train.config import TrainerConfig, derive_sizes
from gridenv_train.ppo import compute_gae, linear_lr, ppo_loss


def test_gae_on_a_tiny_trajectory():
    # dones[2] = 1: observation 2 starts a new episode, so step 1 does not bootstrap through it.
    rewards = torch.tensor([[1.0], [0.0], [2.0]])
    values = torch.tensor([[0.5], [0.4], [0.3]])
    dones = torch.tensor([[0.0], [0.0], [1.0]])
    advantages, returns = compute_gae(rewards, values, dones, next_value=torch.tensor([0.7]),
                                      next_done=torch.tensor([0.0]), gamma=0.9, gae_lambda=0.8)
    # t=2: 2 + 0.9 * 0.7 - 0.3 = 2.33
    # t=1: 0 + 0 - 0.4 = -0.4                     (no bootstrap across the episode start)
    # t=0: 1 + 0.9 * 0.4 - 0.5 = 0.86; 0.86 + 0.9 * 0.8 * (-0.4) = 0.572
    assert advantages.flatten().tolist() == pytest.approx([0.572, -0.4, 2.33])
    assert returns.flatten().tolist() == pytest.approx([1.072, 0.0, 2.63])


def test_gae_stops_at_the_rollouts_end_when_the_next_observation_is_a_new_episode():
    advantages, _ = compute_gae(torch.tensor([[1.0]]), torch.tensor([[0.25]]), torch.tensor([[0.0]]),
                                next_value=torch.tensor([10.0]), next_done=torch.tensor([1.0]), gamma=0.99,
                                gae_lambda=0.95)
    assert advantages.item() == pytest.approx(0.75)  # 1 - 0.25, the 10 is not bootstrapped


def test_ppo_loss_pieces_by_hand():
    new_logprob = torch.log(torch.tensor([0.5, 0.2]))
    old_logprob = torch.log(torch.tensor([0.25, 0.4]))  # ratios 2 and 0.5
    advantages = torch.tensor([1.0, -1.0])
    new_value, old_value, returns = torch.tensor([1.0, 0.0]), torch.tensor([0.5, 0.5]), torch.tensor([2.0, 0.0])
    entropy = torch.tensor([1.0, 2.0])
    loss, metrics = ppo_loss(new_logprob, old_logprob, advantages, new_value, old_value, returns, entropy,
                             clip_coef=0.2, clip_vloss=True, vf_coef=0.5, ent_coef=0.01, norm_adv=False)
    # policy: max(-1 * 2, -1 * 1.2) = -1.2 and max(1 * 0.5, 1 * 0.8) = 0.8 -> mean -0.2
    assert metrics["policy_loss"] == pytest.approx(-0.2)
    # value: clipped predictions 0.7 and 0.3 -> max((1-2)^2, (0.7-2)^2) = 1.69, max(0, 0.09) = 0.09 -> 0.5 * 0.89
    assert metrics["value_loss"] == pytest.approx(0.445)
    assert metrics["entropy"] == pytest.approx(1.5)
    assert loss.item() == pytest.approx(-0.2 - 0.01 * 1.5 + 0.5 * 0.445, abs=1e-6)  # float32
    assert metrics["clipfrac"] == 1.0
    assert metrics["approx_kl"] == pytest.approx(((1 - math.log(2)) + (-0.5 - math.log(0.5))) / 2)
    _, unclipped = ppo_loss(new_logprob, old_logprob, advantages, new_value, old_value, returns, entropy,
                            clip_coef=0.2, clip_vloss=False, vf_coef=0.5, ent_coef=0.01, norm_adv=False)
    assert unclipped["value_loss"] == pytest.approx(0.25)


def test_advantage_normalisation_and_gradients_flow():
    new_logprob = torch.zeros(4, requires_grad=True)
    loss, _ = ppo_loss(new_logprob, torch.zeros(4), torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.zeros(4),
                       torch.zeros(4), torch.zeros(4), torch.zeros(4), 0.2, True, 0.5, 0.0, norm_adv=True)
    loss.backward()
    normalised = (torch.tensor([1.0, 2.0, 3.0, 4.0]) - 2.5) / torch.tensor([1.0, 2.0, 3.0, 4.0]).std()
    assert new_logprob.grad.tolist() == pytest.approx((-normalised / 4).tolist(), abs=1e-6)


def test_learning_rate_anneals_linearly():
    assert linear_lr(0, 100, 1e-3, True) == pytest.approx(1e-3)
    assert linear_lr(50, 100, 1e-3, True) == pytest.approx(5e-4)
    assert linear_lr(50, 100, 1e-3, False) == pytest.approx(1e-3)


def test_derived_sizes_reject_impossible_combinations_with_both_numbers():
    sizes = derive_sizes(TrainerConfig(num_envs=4, rollout_steps=32, bptt_horizon=8, num_minibatches=4,
                                       total_timesteps=100_000), agents_per_env=3)
    assert (sizes.num_agents, sizes.batch_size, sizes.num_sequences, sizes.sequences_per_minibatch) == \
        (12, 384, 48, 12)
    assert sizes.num_updates == 261  # rounded up: at least the steps asked for (100,000 / 384 = 260.4)
    for asked, updates in ((300_000, 782), (1000, 3), (1, 1), (384, 1), (385, 2)):
        assert derive_sizes(TrainerConfig(num_envs=4, rollout_steps=32, bptt_horizon=8, num_minibatches=4,
                                          total_timesteps=asked), agents_per_env=3).num_updates == updates
    with pytest.raises(ValueError, match=r"trainer\.rollout_steps \(30\) must be a multiple of "
                                         r"trainer\.bptt_horizon \(8\)"):
        derive_sizes(TrainerConfig(rollout_steps=30, bptt_horizon=8), 1)
    with pytest.raises(ValueError, match=r"the 9 BPTT sequences .* do not split into trainer\.num_minibatches \(4\)"):
        derive_sizes(TrainerConfig(num_envs=3, rollout_steps=24, bptt_horizon=8, num_minibatches=4), 1)
    with pytest.raises(ValueError, match=r"trainer\.async_envs needs an even trainer\.num_envs, got 3"):
        derive_sizes(TrainerConfig(num_envs=3, async_envs=True), 1)
    with pytest.raises(ValueError, match=r"trainer\.precision: expected 'float32' or 'bfloat16', got 'float16'"):
        TrainerConfig(precision="float16")  # refused when the config is made, before any env is built
