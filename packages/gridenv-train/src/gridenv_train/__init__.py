"""gridenv-train: LSTM PPO for gridenv (``gridenv-train --env arena``)."""

from gridenv_train.config import TrainerConfig, derive_sizes
from gridenv_train.policy_api import RandomPolicy, TrainedPolicy, load_policy

__all__ = ["RandomPolicy", "TrainedPolicy", "TrainerConfig", "derive_sizes", "load_policy"]
__version__ = "0.1.0"
