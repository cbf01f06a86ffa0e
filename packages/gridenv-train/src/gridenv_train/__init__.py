"""gridenv-train: LSTM PPO for gridenv (``gridenv-train --env arena``)."""

from __future__ import annotations

import importlib
from typing import Any

# Imported on first use (PEP 562), so `python -m gridenv_train.checkpoint` does not import the checkpoint module once
# as part of the package and again as __main__ (runpy's RuntimeWarning).
_EXPORTS = {"TrainerConfig": "gridenv_train.config", "derive_sizes": "gridenv_train.config",
            "RandomPolicy": "gridenv_train.policy_api", "TrainedPolicy": "gridenv_train.policy_api",
            "load_policy": "gridenv_train.policy_api"}

__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'gridenv_train' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
