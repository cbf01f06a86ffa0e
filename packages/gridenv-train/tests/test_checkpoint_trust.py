"""Checkpoints are shared between people: loading one never runs code, and damage is refused by name."""

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

import gridenv
from gridenv_train import TrainerConfig, load_policy
from safetensors.torch import save as safetensors_save

from gridenv_train.checkpoint import (CheckpointError, _digest, convert_legacy, decode_checkpoint, encode_checkpoint,
                                      list_checkpoints, load_checkpoint, save_checkpoint)
from gridenv_train.train import train

SMALL = dict(num_envs=2, num_threads=1, rollout_steps=8, bptt_horizon=8, num_minibatches=1, update_epochs=1,
             hidden_size=8, eval_episodes=0)


class CreatesAFile:
    """Unpickling this creates the file at ``path``: what a malicious checkpoint would do (or worse)."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def _run(tmp_path, tiny_env, updates=3, interval=1):
    config = TrainerConfig(**{**SMALL, "checkpoint_interval": interval, "total_timesteps": updates * 2 * 8})
    return train(tiny_env, config, "run", tmp_path, device="cpu", progress=False)


@pytest.fixture
def trained(tmp_path, tiny_env):
    _run(tmp_path, tiny_env)
    return tmp_path / "run"


def test_a_pickled_object_is_never_unpickled_by_load_policy_or_resume(tmp_path, trained, tiny_env):
    marker = tmp_path / "pwned"
    good = list_checkpoints(trained)[-1]
    # As torch.save writes it (a zip of pickles), and as a raw pickle, under the checkpoint's own name and as .pt.
    evil_zip, evil_raw = tmp_path / "evil.safetensors", tmp_path / "evil:v1.pt"
    torch.save({"policy": CreatesAFile(marker)}, evil_zip)
    evil_raw.write_bytes(pickle.dumps({"policy": CreatesAFile(marker)}))
    for path in (evil_zip, evil_raw):
        with pytest.raises(CheckpointError, match=r"pickle-based checkpoint.*could run arbitrary code.*--trust"):
            load_policy(path)
        with pytest.raises(CheckpointError, match="pickle-based"):
            load_checkpoint(path)
    # --resume: the newest checkpoint of the run is the malicious one.
    os.replace(evil_zip, good.with_name("run:v99.safetensors"))
    summary = train(tiny_env, TrainerConfig(), "run", tmp_path, device="cpu", resume=True, progress=False)
    assert summary["global_step"] > 0  # fell back to the intact v3 ...
    assert not marker.exists()  # ... and never ran the pickle
    # Through the command line too, with a run holding nothing but a pickle.
    lone = tmp_path / "lone" / "checkpoints"
    lone.mkdir(parents=True)
    torch.save({"policy": CreatesAFile(marker)}, lone / "lone:v1.safetensors")
    result = subprocess.run([sys.executable, "-m", "gridenv_train", "--env", "arena", "--run", "lone", "--train-dir",
                             str(tmp_path), "--resume"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "skipping lone:v1.safetensors" in result.stderr and "pickle-based" in result.stderr
    assert "no intact checkpoint" in result.stderr and "Traceback" not in result.stderr
    assert not marker.exists()


def test_flipped_bytes_and_truncation_are_refused_by_name(trained):
    path = list_checkpoints(trained)[-1]
    data = bytearray(path.read_bytes())
    header = 8 + int.from_bytes(data[:8], "little")
    # 64 flipped bytes in the tensor data (the LSTM weights and friends): the digest no longer matches.
    flipped = bytearray(data)
    for offset in np.random.default_rng(0).choice(np.arange(header, len(data)), 64, replace=False):
        flipped[offset] ^= 0xFF
    path.write_bytes(bytes(flipped))
    for load in (load_checkpoint, load_policy):
        with pytest.raises(CheckpointError, match=rf"{path.name}: damaged: its SHA-256 digest does not match"):
            load(path)
    # One flipped byte inside the JSON payload (the configs) is caught the same way.
    payload_at = bytes(data).index(b'\\"hidden_size\\": ')  # escaped: JSON inside the header's JSON
    one = bytearray(data)
    one[payload_at + 3] ^= 0x01
    path.write_bytes(bytes(one))
    with pytest.raises(CheckpointError, match=path.name):
        load_checkpoint(path)
    for cut in (0, 5, header - 1, header + 10, len(data) - 1):
        path.write_bytes(bytes(data[:cut]))
        with pytest.raises(CheckpointError, match=rf"{path.name}: damaged"):
            load_checkpoint(path)


def test_resume_falls_back_to_the_newest_intact_checkpoint_and_says_so(tmp_path, tiny_env, capsys):
    _run(tmp_path, tiny_env, updates=3, interval=1)
    v1, v2, v3 = list_checkpoints(tmp_path / "run")
    v3.write_bytes(v3.read_bytes()[:1000])  # truncated: the machine died while copying it, say
    data = bytearray(v2.read_bytes())
    data[-5] ^= 0x10
    v2.write_bytes(bytes(data))
    capsys.readouterr()
    summary = train(tiny_env, TrainerConfig(), "run", tmp_path, device="cpu", resume=True, progress=False)
    err = capsys.readouterr().err
    assert "--resume: skipping run:v3.safetensors" in err and "truncated" in err
    assert "--resume: skipping run:v2.safetensors" in err and "digest" in err
    assert "v1" not in err
    assert summary["global_step"] == 3 * 2 * 8  # resumed from v1: two more updates
    assert [p.name for p in list_checkpoints(tmp_path / "run")][-1] == "run:v3.safetensors"
    load_checkpoint(tmp_path / "run")  # the rewritten v3 is intact
    # Nothing intact at all: one error naming every refused file.
    for path in list_checkpoints(tmp_path / "run"):
        path.write_bytes(b"\0" * 3)
    with pytest.raises(CheckpointError, match=r"no intact checkpoint.*run:v3.*run:v2.*run:v1"):
        train(tiny_env, TrainerConfig(), "run", tmp_path, device="cpu", resume=True, progress=False)


def test_a_verified_file_with_forged_contents_is_refused_by_field(trained, tmp_path):
    payload = load_checkpoint(trained)
    cases = {
        "hidden_size": ({**payload, "trainer_config": {**payload["trainer_config"], "hidden_size": "big"}},
                        r"saved config is invalid: trainer.hidden_size: expected a int"),
        "unknown": ({**payload, "trainer_config": {**payload["trainer_config"], "evil": 1}},
                    r"unknown fields \['evil'\]"),
        "env": ({**payload, "env_config": {**payload["env_config"], "game": {"num_agents": -3}}},
                r"saved config is invalid"),
        "weights": ({**payload, "policy": {"actor.weight": torch.zeros(3)}}, r"weights do not fit"),
        "missing": ({key: value for key, value in payload.items() if key != "env_config"}, r"no env_config"),
    }
    for name, (forged, message) in cases.items():
        path = tmp_path / f"{name}.safetensors"
        save_checkpoint(path, forged)  # a valid digest: anyone can compute one, so contents are still checked
        with pytest.raises(CheckpointError, match=message):
            load_policy(path)
    # A payload nested a million deep (with a correct digest) is refused, not a RecursionError traceback.
    deep = "[" * 1_000_000 + "]" * 1_000_000
    metadata = {"format": "gridenv-checkpoint", "gridenv.format_version": "1", "gridenv.payload": deep,
                "gridenv.sha256": _digest(deep, {})}
    with pytest.raises(CheckpointError, match="nested too deeply"):
        decode_checkpoint(safetensors_save({}, metadata=metadata))


def test_the_format_round_trips_every_kind_of_value():
    payload = {"t": torch.arange(6, dtype=torch.float32).reshape(2, 3), "bf": torch.ones(2, dtype=torch.bfloat16),
               "b": b"\x00\x01\xff", "empty": b"", "ints": {0: {"step": torch.tensor(3.0)}, 7: "x"},
               "tuple": (0.9, 0.999), "nested": [{"a": None, "b": float("inf")}, [1, 2]], "$odd": 1}
    back = decode_checkpoint(encode_checkpoint(payload))
    assert torch.equal(back["t"], payload["t"]) and torch.equal(back["bf"], payload["bf"])
    assert back["b"] == b"\x00\x01\xff" and back["empty"] == b""
    assert list(back["ints"]) == [0, 7] and torch.equal(back["ints"][0]["step"], torch.tensor(3.0))
    assert back["tuple"] == (0.9, 0.999) and back["nested"] == payload["nested"] and back["$odd"] == 1
    with pytest.raises(TypeError, match=r"checkpoint field '/bad': cannot store a object"):
        encode_checkpoint({"bad": object()})


def test_a_trusted_legacy_checkpoint_converts_once(tmp_path, trained):
    payload = load_checkpoint(trained)
    legacy = tmp_path / "old:v3.pt"
    torch.save(payload, legacy)
    with pytest.raises(CheckpointError, match=r"holds only pickle-based checkpoints.*convert --trust"):
        load_policy(tmp_path)
    refused = subprocess.run([sys.executable, "-m", "gridenv_train.checkpoint", "convert", str(legacy)],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "--trust" in refused.stderr
    assert "RuntimeWarning" not in refused.stderr  # the package imports the module lazily: runpy runs it once
    converted = convert_legacy(legacy)
    assert converted.name == "old:v3.safetensors"
    policy = load_policy(converted)
    for name, tensor in policy.policy.state_dict().items():
        assert torch.equal(tensor, payload["policy"][name])
    checked = subprocess.run([sys.executable, "-m", "gridenv_train.checkpoint", "verify", str(converted)],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0 and "intact" in checked.stdout
    assert isinstance(gridenv.EnvConfig.model_validate(payload["env_config"]), gridenv.EnvConfig)


def test_a_safetensors_header_whose_length_starts_with_a_pickle_byte_still_loads():
    # The first byte of a safetensors file is the low byte of its header's length: 0x80 there (a header of 128 +
    # 256 k bytes) is a pickle's opening byte too, and such checkpoints were refused as pickles.
    for padding in range(300):
        data = encode_checkpoint({"x": torch.ones(2), "pad": "p" * padding})
        if data[0] == 0x80:
            assert decode_checkpoint(data)["pad"] == "p" * padding
            break
    else:
        pytest.fail("no padding gave a header length whose low byte is 0x80")
