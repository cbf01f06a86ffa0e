"""Sharding a suite over torchrun ranks: ``torchrun --nproc-per-node N -m gridenv_evals run ...``.

Task i runs on rank i mod N (gloo, CPU); rank 0 gathers every rank's task results and writes the files. Each task's
results depend only on the task (the runner reseeds the policy per task), so they are identical to a one-process run.
"""

from __future__ import annotations

import os
from typing import Any


def world() -> tuple[int, int]:
    """(rank, world size) from torchrun's environment; (0, 1) without it."""
    return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))


def init() -> None:
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group(backend="gloo")


def gather(value: Any, rank: int, world_size: int) -> list[Any] | None:
    """Every rank's ``value`` on rank 0 (None elsewhere)."""
    import torch.distributed as dist

    values: list[Any] | None = [None] * world_size if rank == 0 else None
    dist.gather_object(value, values, dst=0)
    return values


def finish() -> None:
    import torch.distributed as dist

    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
