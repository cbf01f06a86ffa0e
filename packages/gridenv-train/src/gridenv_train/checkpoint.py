"""Checkpoints: ``<train_dir>/<run>/checkpoints/<run>:v<update>.pt``, written atomically (temp file + rename).

A checkpoint holds the policy and optimiser state, the trainer state (update and step counters, RNG states) and the
full env and trainer configs, so a policy loads and an interrupted run resumes from it alone.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import torch

_VERSION = re.compile(r":v(\d+)\.pt$")


def checkpoint_path(run_dir: Path, run: str, version: int) -> Path:
    return run_dir / "checkpoints" / f"{run}:v{version}.pt"


def save_checkpoint(path: Path, payload: dict[str, Any]) -> Path:
    """Write atomically: a crash mid-write leaves the previous checkpoints intact and no partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return path


def list_checkpoints(directory: Path) -> list[Path]:
    """Checkpoints under a run directory (or its checkpoints/ folder), oldest first by version."""
    directory = Path(directory)
    folder = directory / "checkpoints" if (directory / "checkpoints").is_dir() else directory
    found = [p for p in folder.glob("*.pt") if _VERSION.search(p.name)]
    return sorted(found, key=lambda p: int(_VERSION.search(p.name).group(1)))


def resolve_uri(uri: str | Path) -> Path:
    """A checkpoint path, ``file://`` URI, or run directory (its latest checkpoint) -> the file."""
    text = str(uri)
    if text.startswith("file://"):
        text = text[len("file://"):]
    elif "://" in text:
        raise ValueError(f"policy URI {text!r}: only paths and file:// URIs are supported")
    path = Path(text).expanduser()
    if path.is_dir():
        checkpoints = list_checkpoints(path)
        if not checkpoints:
            raise FileNotFoundError(f"no checkpoint (*:v<N>.pt) under {path}")
        return checkpoints[-1]
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    return path


def load_checkpoint(uri: str | Path, device: str | torch.device = "cpu") -> dict[str, Any]:
    return torch.load(resolve_uri(uri), map_location=device, weights_only=False)
