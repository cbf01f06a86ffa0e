"""The pieces of PPO as pure functions (CleanRL's formulas), so each can be tested against hand-computed values."""

from __future__ import annotations

import torch


def compute_gae(rewards: torch.Tensor, values: torch.Tensor, dones: torch.Tensor, next_value: torch.Tensor,
                next_done: torch.Tensor, gamma: float, gae_lambda: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimation over a rollout.

    rewards, values, dones: (T, B). dones[t] = 1 when observation t starts a new episode (the previous step ended
    one), so step t - 1 is not bootstrapped through. next_value, next_done: (B,) for the observation after the
    rollout. Truncations are bootstrapped by the caller (their final value folded into the reward). Returns
    (advantages, returns), each (T, B).
    """
    steps = rewards.shape[0]
    advantages = torch.zeros_like(rewards)
    last = torch.zeros_like(next_value)
    for t in reversed(range(steps)):
        if t == steps - 1:
            next_nonterminal, following = 1.0 - next_done, next_value
        else:
            next_nonterminal, following = 1.0 - dones[t + 1], values[t + 1]
        delta = rewards[t] + gamma * following * next_nonterminal - values[t]
        last = delta + gamma * gae_lambda * next_nonterminal * last
        advantages[t] = last
    return advantages, advantages + values


def ppo_loss(new_logprob: torch.Tensor, old_logprob: torch.Tensor, advantages: torch.Tensor,
             new_value: torch.Tensor, old_value: torch.Tensor, returns: torch.Tensor, entropy: torch.Tensor,
             clip_coef: float, clip_vloss: bool, vf_coef: float, ent_coef: float,
             norm_adv: bool) -> tuple[torch.Tensor, dict[str, float]]:
    """Clipped surrogate + (clipped) value loss - entropy bonus. All inputs flat (M,). Returns (loss, metrics)."""
    if norm_adv and advantages.numel() > 1:
        advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
    log_ratio = new_logprob - old_logprob
    ratio = log_ratio.exp()
    pg_loss = torch.max(-advantages * ratio, -advantages * ratio.clamp(1 - clip_coef, 1 + clip_coef)).mean()
    if clip_vloss:
        unclipped = (new_value - returns) ** 2
        clipped_value = old_value + (new_value - old_value).clamp(-clip_coef, clip_coef)
        v_loss = 0.5 * torch.max(unclipped, (clipped_value - returns) ** 2).mean()
    else:
        v_loss = 0.5 * ((new_value - returns) ** 2).mean()
    entropy_loss = entropy.mean()
    loss = pg_loss - ent_coef * entropy_loss + vf_coef * v_loss
    with torch.no_grad():
        approx_kl = ((ratio - 1) - log_ratio).mean().item()  # the low-variance estimator (Schulman)
        clipfrac = ((ratio - 1.0).abs() > clip_coef).float().mean().item()
    return loss, {"policy_loss": pg_loss.item(), "value_loss": v_loss.item(), "entropy": entropy_loss.item(),
                  "approx_kl": approx_kl, "clipfrac": clipfrac}


def linear_lr(update: int, num_updates: int, learning_rate: float, anneal: bool) -> float:
    """Learning rate for 0-based `update`: linear decay from `learning_rate` to 0 over `num_updates`."""
    if not anneal:
        return learning_rate
    return learning_rate * (1.0 - update / num_updates)
