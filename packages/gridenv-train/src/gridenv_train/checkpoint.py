"""Checkpoints: ``<train_dir>/<run>/checkpoints/<run>:v<update>.safetensors``, written atomically (temp + rename).

A checkpoint holds the policy and optimiser state, the trainer state (update and step counters, RNG states), the
rollout state and the full env and trainer configs, so a policy loads and an interrupted run resumes from it alone.

Checkpoints are shared between people, so loading one must never run code. The file is a plain safetensors file
(readable by any safetensors tool): every tensor is a safetensors tensor, ``bytes`` (saved worlds) are uint8 tensors,
and everything else is JSON in the header's metadata under ``gridenv.payload``, with tensors and bytes referenced as
``{"$tensor": name}`` / ``{"$bytes": name}``. Nothing is unpickled. A SHA-256 digest over the payload JSON and every
tensor's name, dtype, shape and bytes (``gridenv.sha256``) is checked on load, so a damaged or truncated file is
refused by name instead of loading silently changed weights.

Old pickle-based ``.pt`` checkpoints are refused; one you trust can be converted once with
``python -m gridenv_train.checkpoint convert --trust OLD.pt``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load as safetensors_load
from safetensors.torch import save as safetensors_save
from gridenv.atomic_file import write_atomic

FORMAT = "gridenv-checkpoint"
FORMAT_VERSION = 1
SUFFIX = ".safetensors"
_VERSION = re.compile(r":v(\d+)\.safetensors$")
_LEGACY = re.compile(r":v(\d+)\.pt$")
# A torch.save zip archive or a raw pickle stream: both need unpickling, so both are refused.
_PICKLE_MAGICS = (b"PK\x03\x04", b"\x80")


class CheckpointError(ValueError):
    """A checkpoint that is damaged, forged, of an unknown format or needs unpickling; the message names the file."""


def checkpoint_path(run_dir: Path, run: str, version: int) -> Path:
    return run_dir / "checkpoints" / f"{run}:v{version}{SUFFIX}"


# --- encoding: a tree of dicts/lists/tuples/scalars/tensors/bytes <-> (JSON, named tensors) ----------------------------

def _encode(value: Any, path: str, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(value, torch.Tensor):
        # clone: safetensors refuses tensors that share storage, and a view must not drag its whole storage along
        tensors[path] = value.detach().cpu().contiguous().clone()
        return {"$tensor": path}
    if isinstance(value, (bytes, bytearray)):
        tensors[path] = torch.frombuffer(bytearray(value), dtype=torch.uint8) if value else \
            torch.empty(0, dtype=torch.uint8)
        return {"$bytes": path}
    if isinstance(value, np.ndarray):
        return _encode(torch.from_numpy(np.ascontiguousarray(value)), path, tensors)
    if isinstance(value, dict):
        if all(isinstance(key, str) and not key.startswith("$") for key in value):
            return {key: _encode(item, f"{path}/{key}", tensors) for key, item in value.items()}
        # non-string keys (an optimiser's state is keyed by parameter index): keep them with their type
        return {"$items": [[_encode(key, f"{path}/#{i}k", tensors), _encode(item, f"{path}/#{i}", tensors)]
                           for i, (key, item) in enumerate(value.items())]}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(item, f"{path}/{i}", tensors) for i, item in enumerate(value)]}
    if isinstance(value, list):
        return [_encode(item, f"{path}/{i}", tensors) for i, item in enumerate(value)]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    raise TypeError(f"checkpoint field {path!r}: cannot store a {type(value).__name__} (only tensors, bytes, "
                    f"dicts, lists, tuples, str, int, float, bool and None)")


def _decode(value: Any, tensors: dict[str, torch.Tensor], where: str) -> Any:
    if isinstance(value, list):
        return [_decode(item, tensors, where) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (key, inner), = value.items()
        if key in ("$tensor", "$bytes"):
            if not isinstance(inner, str) or inner not in tensors:
                raise CheckpointError(f"{where}: damaged: the payload names a missing tensor {inner!r}")
            tensor = tensors[inner]
            if key == "$bytes":
                if tensor.dtype != torch.uint8 or tensor.dim() != 1:
                    raise CheckpointError(f"{where}: damaged: bytes field {inner!r} is not a 1-D uint8 tensor")
                return tensor.numpy().tobytes()
            return tensor
        if key == "$tuple" and isinstance(inner, list):
            return tuple(_decode(item, tensors, where) for item in inner)
        if key == "$items" and isinstance(inner, list):
            if not all(isinstance(pair, list) and len(pair) == 2 for pair in inner):
                raise CheckpointError(f"{where}: damaged: a '$items' entry is not a [key, value] pair")
            try:
                return {_decode(k, tensors, where): _decode(v, tensors, where) for k, v in inner}
            except TypeError:  # an unhashable key
                raise CheckpointError(f"{where}: damaged: a '$items' key is not hashable") from None
    if any(isinstance(key, str) and key.startswith("$") for key in value):
        raise CheckpointError(f"{where}: damaged: unknown marker in {sorted(value)}")
    return {key: _decode(item, tensors, where) for key, item in value.items()}


def _digest(payload_json: str, tensors: dict[str, torch.Tensor]) -> str:
    digest = hashlib.sha256(payload_json.encode())
    for name in sorted(tensors):
        tensor = tensors[name]
        digest.update(json.dumps([name, str(tensor.dtype), list(tensor.shape)]).encode())
        # bytes of any dtype (bfloat16 has no numpy view): reinterpret as uint8
        digest.update(tensor.contiguous().view(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    return digest.hexdigest()


def encode_checkpoint(payload: dict[str, Any]) -> bytes:
    """Serialise a payload to checkpoint bytes (safetensors; no pickle anywhere)."""
    tensors: dict[str, torch.Tensor] = {}
    tree = _encode(payload, "", tensors)
    payload_json = json.dumps(tree, allow_nan=True)  # insertion order kept: state dicts are ordered
    metadata = {"format": FORMAT, "gridenv.format_version": str(FORMAT_VERSION), "gridenv.payload": payload_json,
                "gridenv.sha256": _digest(payload_json, tensors)}
    return safetensors_save(tensors, metadata=metadata)


def decode_checkpoint(data: bytes, where: str = "checkpoint") -> dict[str, Any]:
    """Parse and verify checkpoint bytes; raise CheckpointError naming ``where`` for anything but an intact file."""
    # A safetensors file opens with its header's length (u64, little-endian) and then the JSON header ("{"); its
    # first byte can be 0x80 like a pickle's, so the safetensors layout is recognised first.
    header_size = int.from_bytes(data[:8], "little") if len(data) >= 8 else 0
    looks_safetensors = len(data) > 8 and 8 + header_size <= len(data) and data[8:9] == b"{"
    # A pickle: torch.save's zip, or a raw stream (protocol 2-5: 0x80, the protocol, ..., and the STOP opcode '.').
    is_pickle = data[:4] == _PICKLE_MAGICS[0] or (len(data) >= 3 and data[:1] == _PICKLE_MAGICS[1] and
                                                  2 <= data[1] <= 5 and data.endswith(b"."))
    if not looks_safetensors and is_pickle:
        raise CheckpointError(
            f"{where}: a pickle-based checkpoint (torch.save, gridenv-train < 0.2). Loading it could run arbitrary "
            f"code, so it is refused. If you made it yourself or trust who did, convert it once with "
            f"`python -m gridenv_train.checkpoint convert --trust {where}` and load the .safetensors file it writes")
    if len(data) < 8:
        raise CheckpointError(f"{where}: damaged or truncated ({len(data)} bytes; not a checkpoint)")
    if header_size > len(data) - 8:
        raise CheckpointError(f"{where}: damaged or truncated (header of {header_size} bytes, file of {len(data)})")
    try:
        header = json.loads(data[8:8 + header_size])
        metadata = header.get("__metadata__") or {}
    except (ValueError, AttributeError, RecursionError) as error:
        raise CheckpointError(f"{where}: damaged: the header is not valid JSON ({error})") from None
    if metadata.get("format") != FORMAT:
        raise CheckpointError(f"{where}: not a gridenv checkpoint (safetensors metadata 'format' is "
                              f"{metadata.get('format')!r}, expected {FORMAT!r})")
    if metadata.get("gridenv.format_version") != str(FORMAT_VERSION):
        raise CheckpointError(f"{where}: checkpoint format version {metadata.get('gridenv.format_version')!r}; this "
                              f"gridenv-train reads version {FORMAT_VERSION}")
    ends = [entry.get("data_offsets", [0, 0])[1] for name, entry in header.items()
            if name != "__metadata__" and isinstance(entry, dict) and isinstance(entry.get("data_offsets"), list)
            and len(entry["data_offsets"]) == 2]
    expected = 8 + header_size + max((end for end in ends if isinstance(end, int)), default=0)
    if len(data) != expected:
        raise CheckpointError(f"{where}: damaged or truncated ({len(data)} bytes, its header describes {expected})")
    try:
        tensors = safetensors_load(bytes(data))
    except (SafetensorError, ValueError, RuntimeError) as error:
        raise CheckpointError(f"{where}: damaged or truncated ({error})") from None
    payload_json = metadata.get("gridenv.payload")
    if not isinstance(payload_json, str) or _digest(payload_json, tensors) != metadata.get("gridenv.sha256"):
        raise CheckpointError(f"{where}: damaged: its SHA-256 digest does not match its contents (the file was "
                              f"changed or corrupted after it was written)")
    try:
        payload = _decode(json.loads(payload_json), tensors, where)
    except CheckpointError:
        raise
    except ValueError as error:
        raise CheckpointError(f"{where}: damaged: the payload is not valid JSON ({error})") from None
    except RecursionError:  # a forged payload nested thousands deep
        raise CheckpointError(f"{where}: damaged: the payload is nested too deeply") from None
    if not isinstance(payload, dict):
        raise CheckpointError(f"{where}: damaged: the payload is not a mapping")
    return payload


def save_checkpoint(path: Path, payload: dict[str, Any]) -> Path:
    """Write atomically: a crash mid-write leaves the previous checkpoints intact and no partial file."""
    return write_atomic(path, encode_checkpoint(payload))


def list_checkpoints(directory: Path) -> list[Path]:
    """Checkpoints under a run directory (or its checkpoints/ folder), oldest first by version."""
    directory = Path(directory)
    folder = directory / "checkpoints" if (directory / "checkpoints").is_dir() else directory
    found = [p for p in folder.glob(f"*{SUFFIX}") if _VERSION.search(p.name)]
    return sorted(found, key=lambda p: int(_VERSION.search(p.name).group(1)))


def _legacy_checkpoints(directory: Path) -> list[Path]:
    folder = directory / "checkpoints" if (directory / "checkpoints").is_dir() else directory
    return sorted(p for p in folder.glob("*.pt") if _LEGACY.search(p.name))


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
            legacy = _legacy_checkpoints(path)
            if legacy:
                raise CheckpointError(
                    f"{path}: holds only pickle-based checkpoints ({legacy[-1].name}, ...), which are refused because "
                    f"loading them could run code; if you trust them, convert with `python -m "
                    f"gridenv_train.checkpoint convert --trust {legacy[-1]}`")
            raise FileNotFoundError(f"no checkpoint (*:v<N>{SUFFIX}) under {path}")
        return checkpoints[-1]
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    return path


def load_checkpoint(uri: str | Path, device: str | torch.device = "cpu") -> dict[str, Any]:
    """Load and verify a checkpoint (path, file:// URI or run dir); tensors are moved to ``device``.

    Raises CheckpointError naming the file for a damaged, truncated, forged or pickle-based checkpoint."""
    path = resolve_uri(uri)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CheckpointError(f"{path}: unreadable ({error.strerror or error})") from None
    payload = decode_checkpoint(data, str(path))
    if torch.device(device).type != "cpu":
        payload = _to_device(payload, torch.device(device))
    return payload


def checkpoint_configs(payload: dict[str, Any], where: str | Path) -> tuple[Any, Any]:
    """The (EnvConfig, TrainerConfig) a checkpoint was trained with, validated like any user config: a file that
    verifies but was forged with bad configs is refused naming the file and the field."""
    import gridenv
    from pydantic import ValidationError

    from gridenv_train.config import TrainerConfig

    missing = [key for key in ("policy", "env_config", "trainer_config") if key not in payload]
    if missing:
        raise CheckpointError(f"{where}: not a gridenv-train checkpoint (no {', '.join(missing)})")
    if not isinstance(payload["policy"], dict) or not all(
            isinstance(key, str) and isinstance(value, torch.Tensor) for key, value in payload["policy"].items()):
        raise CheckpointError(f"{where}: 'policy' is not a mapping of parameter names to tensors")
    try:
        env_config = gridenv.EnvConfig.model_validate(payload["env_config"])
        trainer_config = TrainerConfig.from_dict(payload["trainer_config"])
    except (ValidationError, ValueError, TypeError) as error:
        raise CheckpointError(f"{where}: its saved config is invalid: {error}") from None
    return env_config, trainer_config


def _to_device(value: Any, device: torch.device) -> Any:
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, dict):
        return {key: _to_device(item, device) for key, item in value.items()}
    if isinstance(value, list):
        return [_to_device(item, device) for item in value]
    if isinstance(value, tuple):
        return tuple(_to_device(item, device) for item in value)
    return value


def load_latest_intact(run_dir: Path, device: str | torch.device = "cpu",
                       warn=lambda message: print(message, file=sys.stderr)) -> tuple[Path, dict[str, Any]]:
    """The newest checkpoint of a run that loads and verifies; damaged newer ones are skipped with a warning naming
    each. Raises FileNotFoundError when the run has none, CheckpointError when none is intact."""
    found = list_checkpoints(run_dir)
    if not found:
        legacy = _legacy_checkpoints(Path(run_dir))
        if legacy:
            raise CheckpointError(f"--resume: {run_dir} holds only pickle-based checkpoints, refused because loading "
                                  f"them could run code; if you trust them, convert the newest with `python -m "
                                  f"gridenv_train.checkpoint convert --trust {legacy[-1]}`")
        raise FileNotFoundError(f"--resume: no checkpoint under {run_dir}")
    refused = []
    for path in reversed(found):
        try:
            return path, load_checkpoint(path, device)
        except CheckpointError as error:
            refused.append(str(error))
            warn(f"gridenv-train: --resume: skipping {path.name}: {error}")
    raise CheckpointError("--resume: no intact checkpoint under " + str(run_dir) + ": " + "; ".join(refused))


def export_policy(uri: str | Path, destination: Path) -> Path:
    """Write a policy-only checkpoint: the weights, the env and trainer configs and where they came from. It loads
    with ``load_policy`` like a full checkpoint but cannot be resumed."""
    payload = load_checkpoint(uri)
    checkpoint_configs(payload, uri)  # a policy that will not load is not exported
    kept = {key: payload[key] for key in ("policy", "env_config", "trainer_config", "run", "version",
                                          "gridenv_version") if key in payload}
    kept["policy"] = {name: tensor.float() for name, tensor in kept["policy"].items()}
    return save_checkpoint(Path(destination), kept)


def convert_legacy(source: Path, destination: Path | None = None) -> Path:
    """Convert a pickle-based ``.pt`` checkpoint that the caller TRUSTS (unpickling runs its code) to the safe
    format. Writes ``<name>.safetensors`` beside it unless ``destination`` is given."""
    source = Path(source)
    payload = torch.load(source, map_location="cpu", weights_only=False)  # trusted by the caller's explicit --trust
    if not isinstance(payload, dict):
        raise CheckpointError(f"{source}: not a gridenv-train checkpoint (a {type(payload).__name__})")
    destination = Path(destination) if destination else source.with_suffix(SUFFIX)
    return save_checkpoint(destination, payload)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gridenv_train.checkpoint",
                                     description="Inspect, verify or convert gridenv-train checkpoints.")
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="check a checkpoint's digest and print its summary")
    verify.add_argument("path")
    export = commands.add_parser("export", help="a policy-only copy (weights and configs; no optimiser, RNG or "
                                 "worlds) to share or ship: a few hundred KB")
    export.add_argument("path", help="a checkpoint or run directory (its latest checkpoint)")
    export.add_argument("destination")
    convert = commands.add_parser("convert", help="convert an old pickle-based .pt checkpoint (runs its code!)")
    convert.add_argument("path")
    convert.add_argument("destination", nargs="?")
    convert.add_argument("--trust", action="store_true",
                         help="required: you trust the file, since unpickling it can run arbitrary code")
    args = parser.parse_args(argv)
    try:
        if args.command == "export":
            print(f"wrote {export_policy(args.path, Path(args.destination))}")
        elif args.command == "verify":
            payload = load_checkpoint(args.path)
            print(f"{args.path}: intact; run {payload.get('run')!r}, version {payload.get('version')}, "
                  f"gridenv {payload.get('gridenv_version')}, env {payload.get('env_config', {}).get('name')!r}")
        else:
            if not args.trust:
                print("convert: unpickling can run arbitrary code; pass --trust if you trust this file",
                      file=sys.stderr)
                return 2
            print(f"wrote {convert_legacy(Path(args.path), args.destination)}")
    except (CheckpointError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
