"""in-context-v1: find a hidden recipe by trying, and use what was found in the episodes that follow.

A trial is one held-out recipe (gridenv.in_context: a chain of 2 to 5 look-alike converter kinds makes a heart, the
other kinds are sinks) played for 10 episodes of 100 steps, each on a fresh map (its own seed), with the policy's
recurrent state kept across the episodes of the trial and started afresh only at the next trial. Eight recipes per
chain length, drawn once from the evaluation split with a fixed generator, make 32 trials. Every recipe here is held
out: the registered ``in-context`` training env never draws one (tested)."""

from __future__ import annotations

import numpy as np

from gridenv import in_context
from gridenv_evals.suites import Suite, Task, register

EPISODES = 10           # per trial
TRIALS_PER_LENGTH = 8
MAX_STEPS = 100


def trial_tasks() -> tuple[Task, ...]:
    tasks = []
    for length in in_context.LENGTHS:
        held_out = in_context.recipes(length, "eval")
        rng = np.random.default_rng(1000 + length)
        chosen = sorted(rng.choice(len(held_out), size=min(TRIALS_PER_LENGTH, len(held_out)), replace=False))
        for i, index in enumerate(chosen):
            recipe = held_out[index]
            seeds = tuple(100_000 * length + 1_000 * i + k for k in range(EPISODES))
            tasks.append(Task(name=f"chain{length}-{i}", kind=in_context.canonical_name(length, recipe),
                              config=in_context.make_config(length, recipe, name="in-context-trial",
                                                            max_steps=MAX_STEPS),
                              seeds=seeds))
    return tuple(tasks)


@register("in-context-v1")
def in_context_v1() -> Suite:
    return Suite(name="in-context", version=1, protocol="in-context", episodes=EPISODES, tasks=trial_tasks(),
                 description="a hidden converter chain (2-5 of 6 look-alike kinds, held-out recipes), 10 episodes "
                             "per trial with memory kept; return per episode index and in-context gain",
                 metrics=("return", "gain"))
