"""Training runs end to end: checkpoints, resume, TensorBoard, the policy interface, the CLI, DDP on gloo."""

import json
import os
import shutil
import socket
import subprocess
import sys

import numpy as np
import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import gridenv
from gridenv.replay import check_resimulation, load_replay
from gridenv_train import TrainerConfig, load_policy
from gridenv_train.checkpoint import list_checkpoints, load_checkpoint, save_checkpoint
from gridenv_train.cli import build_parser, parse_overrides
from gridenv_train.evaluate import evaluate
from gridenv_train.train import train

SMALL = dict(num_envs=4, num_threads=1, rollout_steps=16, bptt_horizon=8, num_minibatches=2, update_epochs=1,
             hidden_size=16, eval_episodes=0)


def small_config(updates: int, agents_per_env: int, **changes) -> TrainerConfig:
    config = TrainerConfig(**{**SMALL, **changes})
    return TrainerConfig(**{**config.to_dict(), "total_timesteps":
                            updates * config.num_envs * agents_per_env * config.rollout_steps})


def test_checkpoints_round_trip_and_load_as_policies(tmp_path, tiny_env):
    summary = train(tiny_env, small_config(3, 1, checkpoint_interval=2), "rt", tmp_path, device="cpu",
                    progress=False)
    checkpoints = list_checkpoints(tmp_path / "rt")
    assert [p.name for p in checkpoints] == ["rt:v2.safetensors", "rt:v3.safetensors"]
    assert not list((tmp_path / "rt" / "checkpoints").glob("*.tmp"))  # atomic writes leave no partial files
    payload = load_checkpoint(checkpoints[-1])
    assert payload["trainer_state"]["global_step"] == summary["global_step"] == 3 * 4 * 16
    assert gridenv.EnvConfig.model_validate(payload["env_config"]) == tiny_env
    assert payload["trainer_config"]["hidden_size"] == 16
    for uri in (tmp_path / "rt", checkpoints[-1], f"file://{checkpoints[-1]}"):
        policy = load_policy(uri)
        for name, tensor in policy.policy.state_dict().items():
            torch.testing.assert_close(tensor, payload["policy"][name])
    observations = np.zeros((5, *gridenv.parallel_env(tiny_env).observation_space("agent_0").shape), np.uint8)
    actions, state = policy.act(observations, policy.initial_state(5))
    assert actions.shape == (5,) and actions.dtype == np.int32 and ((actions >= 0) & (actions < 6)).all()
    result = evaluate(policy, tiny_env, episodes=3, seed=0)  # a loaded policy plays where evaluation expects one
    assert result["episodes"] == 3 and 0.0 <= result["mean_return"] <= 1.0
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        load_policy(tmp_path / "missing")
    with pytest.raises(ValueError, match="only paths and file:// URIs"):
        load_policy("s3://bucket/run")


@pytest.mark.parametrize("async_envs", [False, True], ids=["one-shard", "async-two-shards"])
def test_resume_continues_exactly_as_if_the_run_had_never_stopped(tmp_path, async_envs):
    env = gridenv.resolve_config("arena-small")
    config = small_config(4, 4, checkpoint_interval=2, async_envs=async_envs, num_threads=2)
    straight = train(env, config, "run", tmp_path / "a", device="cpu", progress=False)
    # An interrupted copy: the run as it was after update 2.
    shutil.copytree(tmp_path / "a" / "run", tmp_path / "b" / "run")
    (tmp_path / "b" / "run" / "checkpoints" / "run:v4.safetensors").unlink()
    shutil.rmtree(tmp_path / "b" / "run" / "tensorboard")
    resumed = train(env, TrainerConfig(), "run", tmp_path / "b", device="cpu", resume=True, progress=False)
    assert resumed["global_step"] == straight["global_step"] == 4 * 4 * 4 * 16
    a = load_checkpoint(tmp_path / "a" / "run")
    b = load_checkpoint(tmp_path / "b" / "run")
    assert a["trainer_state"]["update"] == b["trainer_state"]["update"] == 3
    assert b["trainer_config"] == a["trainer_config"]  # the resumed run took its config from the checkpoint
    steps = lambda ckpt: [s["step"] for s in ckpt["optimizer"]["state"].values()]  # noqa: E731
    assert steps(a) == steps(b)  # Adam's step counts continued
    rates = {}
    for name in ("a", "b"):
        events = EventAccumulator(str(tmp_path / name / "run" / "tensorboard"))
        events.Reload()
        rates[name] = {e.step: e.value for e in events.Scalars("charts/learning_rate")}
    assert rates["b"] == {step: rates["a"][step] for step in rates["b"]}  # same LR at the same global steps
    assert sorted(rates["b"]) == sorted(rates["a"])[2:]
    # Bit for bit: the worlds resumed mid-episode, with the LSTM memories, episode starts and RNG streams they had,
    # so the interrupted-and-resumed run ends with exactly the uninterrupted run's weights, optimiser and worlds.
    for name, tensor in a["policy"].items():
        assert torch.equal(tensor, b["policy"][name]), name
    for key, moments in a["optimizer"]["state"].items():
        for name, value in moments.items():
            assert torch.equal(value, b["optimizer"]["state"][key][name]), (key, name)
    assert a["rollout_state"][0]["worlds"] == b["rollout_state"][0]["worlds"]
    assert torch.equal(a["rollout_state"][0]["lstm_h"], b["rollout_state"][0]["lstm_h"])
    # The checkpoint records how many ranks trained it: resuming on another number is refused, not silently
    # re-scheduled (the number of updates and the learning-rate schedule depend on it).
    payload = load_checkpoint(tmp_path / "b" / "run")
    payload["trainer_state"]["world_size"] = 2
    save_checkpoint(list_checkpoints(tmp_path / "b" / "run")[-1], payload)
    with pytest.raises(ValueError, match=r"--resume: run:v4\.safetensors was trained on 2 rank\(s\); resume it on 2, not 1"):
        train(env, TrainerConfig(), "run", tmp_path / "b", device="cpu", resume=True, progress=False)


def test_the_first_minibatch_replays_the_rollout_exactly(tmp_path, tiny_env):
    # Its parameters and data are the rollout's own: stored LSTM states, dones, log-probs and values line up with
    # what acted only if the KL and the value differences are ~0 (dropping the stored dones, so the update does not
    # reset the LSTM where the rollout did, gave value differences of 0.016-0.05, against 2e-8). The tiny env's
    # episodes end inside rollouts, so LSTM resets are part of the check; arena-small adds many agents per world.
    cases = [(tiny_env, False), (tiny_env, True), (gridenv.resolve_config("arena-small", game={"max_steps": 24}), True)]
    for env, async_envs in cases:  # async: two shards, pipelined
        summary = train(env, small_config(3, env.game.num_agents or 1, async_envs=async_envs, num_threads=2), "kl",
                        tmp_path / f"{env.name}-{async_envs}", device="cpu", progress=False)
        assert summary["first_minibatch_replay_error"]["approx_kl"] < 1e-6
        assert summary["first_minibatch_replay_error"]["value"] < 1e-4


def test_tensorboard_event_files_hold_losses_sps_and_env_stats(tmp_path):
    summary = train(gridenv.resolve_config("arena-small", game={"max_steps": 32}), small_config(3, 4), "tb",
                    tmp_path, device="cpu", progress=False)
    events = EventAccumulator(summary["tensorboard"])
    events.Reload()
    tags = set(events.Tags()["scalars"])
    for tag in ("losses/policy_loss", "losses/value_loss", "losses/entropy", "losses/approx_kl", "charts/SPS",
                "charts/episode_return", "charts/hearts_per_agent", "env/heart.gained", "env/action.attack",
                "time/env_share", "time/learn_share"):
        assert tag in tags, tag
    assert len(events.Scalars("charts/SPS")) == 3
    assert events.Scalars("charts/episodes")[-1].value == summary["episodes"] > 0
    saved = json.loads((tmp_path / "tb" / "summary.json").read_text())
    assert saved["global_step"] == summary["global_step"] and saved["world_size"] == 1


def test_async_double_buffering_trains_the_same_number_of_steps(tmp_path, tiny_env):
    summary = train(tiny_env, small_config(2, 1, async_envs=True, num_threads=2), "async", tmp_path,
                    device="cpu", progress=False)
    assert summary["global_step"] == 2 * 4 * 16


def test_bfloat16_autocast_trains_float32_weights(tmp_path, tiny_env):
    weights = {}
    for precision in ("float32", "bfloat16"):
        summary = train(tiny_env, small_config(2, 1, precision=precision), precision, tmp_path, device="cpu",
                        progress=False)
        assert summary["global_step"] == 2 * 4 * 16 and np.isfinite(summary["losses"]["policy_loss"])
        weights[precision] = load_checkpoint(list_checkpoints(tmp_path / precision)[-1], "cpu")["policy"]
    assert all(w.dtype == torch.float32 and torch.isfinite(w).all() for w in weights["bfloat16"].values()
               if w.is_floating_point())
    # same seed, same data source: only autocast's rounding can make the two runs differ
    assert not torch.equal(weights["float32"]["actor.weight"], weights["bfloat16"]["actor.weight"])


def test_cli_override_parsing_and_errors():
    env, trainer = parse_overrides(["trainer.total_timesteps=1000", "env.game.num_agents=12",
                                    "trainer.anneal_lr=false", "trainer.learning_rate=1e-3",
                                    "env.kinship.scheme=clans"], gridenv.resolve_config("arena"), TrainerConfig())
    assert trainer.total_timesteps == 1000 and trainer.anneal_lr is False and trainer.learning_rate == 1e-3
    _, trainer = parse_overrides(["trainer.total_timesteps=1e6"], gridenv.resolve_config("arena"), TrainerConfig())
    assert trainer.total_timesteps == 1_000_000 and isinstance(trainer.total_timesteps, int)
    assert env.game.num_agents == 12 and env.kinship.scheme == "clans"
    cases = [
        ("trainer.total_timestep=5", r"unknown key 'trainer\.total_timestep'; did you mean 'trainer\.total_timesteps'"),
        ("env.game.num_agnts=3", r"env override: unknown key 'game\.num_agnts'.*did you mean 'game\.num_agents'"),
        ("total_timesteps=5", r"keys start with 'env\.' or 'trainer\.'; did you mean 'trainer\.total_timesteps'"),
        ("trainer.anneal_lr=3", r"trainer\.anneal_lr: expected true or false, got 3"),
        ("trainer.num_envs=2.5", r"trainer\.num_envs: expected a int, got 2\.5"),
        ("trainer.precision=7", r"trainer\.precision: expected a str, got 7"),
        ("trainer.seed", r"expected key=value"),
    ]
    for item, message in cases:
        with pytest.raises(ValueError, match=message):
            parse_overrides([item], gridenv.resolve_config("arena"), TrainerConfig())


def test_help_lists_every_option_with_its_default():
    text = build_parser().format_help()
    for field in TrainerConfig.__dataclass_fields__.values():
        assert f"trainer.{field.name}" in text and f"[{field.default}]" in text
    for option in ("--env", "--run", "--device", "--resume", "--train-dir"):
        assert option in text


def run_cli(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "gridenv_train", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=600)


def test_the_cli_trains_evaluates_and_reports(tmp_path):
    result = run_cli("--env", "arena-small", "--run", "smoke", "--train-dir", str(tmp_path), "--no-progress",
                     "--device", "cpu", "trainer.total_timesteps=256", "trainer.num_envs=2",
                     "trainer.rollout_steps=16", "trainer.bptt_horizon=8", "trainer.eval_episodes=2",
                     "env.game.max_steps=20")
    assert result.returncode == 0, result.stderr
    assert "smoke:v" in result.stdout and "tensorboard --logdir" in result.stdout
    # --no-progress logs lines (here: the last update's), with the episode stats, as it goes
    lines = [line for line in result.stdout.splitlines() if line.startswith("smoke: update ")]
    assert lines and "agent-steps" in lines[-1] and "SPS" in lines[-1] and "hearts/agent" in lines[-1]
    assert "return -" not in lines[-1]  # 20-step episodes finished during the run
    assert "eval hearts per agent per episode: trained vs random" in result.stdout
    assert "│                    │" not in result.stdout  # no empty header row above the table
    assert not (tmp_path / "smoke" / "replay.npz").exists()  # the old format is gone
    replay = load_replay(tmp_path / "smoke" / "replay.json.z")
    assert replay.num_steps == 20 and replay.header["recorded_by"] == "gridenv-train"
    summary = json.loads((tmp_path / "smoke" / "summary.json").read_text())
    assert summary["replay"]["path"] == str(tmp_path / "smoke" / "replay.json.z")
    returns = sum(frame.rewards.astype(np.float64) for frame in replay.iter_frames())
    assert summary["replay"]["return"] == pytest.approx(returns.sum() / replay.num_agents)
    assert check_resimulation(replay) == 21
    bad = run_cli("--env", "arena-small", "trainer.total_timestep=5")
    assert bad.returncode == 2 and "did you mean 'trainer.total_timesteps'" in bad.stderr
    refused = run_cli("--env", "arena-small", "--run", "smoke", "--train-dir", str(tmp_path), "--resume",
                      "trainer.total_timesteps=512")
    assert refused.returncode == 2 and "--resume continues a run with the configs saved in its checkpoint" in \
        refused.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_two_processes_on_gloo(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MASTER_ADDR": "127.0.0.1"}
    result = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
         "--master_port", str(free_port()), "-m", "gridenv_train", "--env", "arena-small", "--run-name", "ddp",
         "--train-dir", str(tmp_path), "--device", "cpu", "--no-progress", "trainer.total_timesteps=1024",
         "trainer.num_envs=2", "trainer.num_threads=1", "trainer.rollout_steps=16", "trainer.bptt_horizon=8",
         "trainer.hidden_size=16", "trainer.eval_episodes=0"],
        capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[:4000] + "\n...\n" + result.stderr[-4000:]
    summary = json.loads((tmp_path / "ddp" / "summary.json").read_text())
    assert summary["world_size"] == 2 and summary["params_in_sync"] is True
    assert summary["global_step"] == 1024  # 8 agents x 16 steps x 2 ranks x 4 updates
    assert [p.name for p in list_checkpoints(tmp_path / "ddp")] == ["ddp:v4.safetensors"]
    state = load_checkpoint(tmp_path / "ddp")["trainer_state"]
    assert state["world_size"] == 2 and len(state["torch_rng"]) == 2  # each rank's own RNG stream, for --resume
    assert not torch.equal(state["torch_rng"][0]["cpu"], state["torch_rng"][1]["cpu"])
    rollout = load_checkpoint(tmp_path / "ddp")["rollout_state"]  # each rank's own worlds and memories, for --resume
    assert len(rollout) == 2 and rollout[0]["worlds"] != rollout[1]["worlds"]
    assert rollout[0]["lstm_h"].shape == (1, 8, 16)


def test_ddp_resume_is_exact_on_two_ranks(tmp_path):
    def torchrun(train_dir, *extra):
        result = subprocess.run(
            [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
             "--master_port", str(free_port()), "-m", "gridenv_train", "--env", "arena-small", "--run-name", "ddp",
             "--train-dir", str(train_dir), "--device", "cpu", "--no-progress", *extra],
            capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"}, timeout=600)
        assert result.returncode == 0, result.stderr[-4000:]

    torchrun(tmp_path / "a", "trainer.total_timesteps=2048", "trainer.num_envs=2", "trainer.num_threads=1",
             "trainer.rollout_steps=16", "trainer.bptt_horizon=8", "trainer.hidden_size=16",
             "trainer.eval_episodes=0", "trainer.checkpoint_interval=4")
    shutil.copytree(tmp_path / "a" / "ddp", tmp_path / "b" / "ddp")
    (tmp_path / "b" / "ddp" / "checkpoints" / "ddp:v8.safetensors").unlink()
    torchrun(tmp_path / "b", "--resume")  # from v4, on the same two ranks
    a, b = load_checkpoint(tmp_path / "a" / "ddp"), load_checkpoint(tmp_path / "b" / "ddp")
    assert a["trainer_state"]["update"] == b["trainer_state"]["update"] == 7
    for name, tensor in a["policy"].items():
        assert torch.equal(tensor, b["policy"][name]), name
    assert [r["worlds"] for r in a["rollout_state"]] == [r["worlds"] for r in b["rollout_state"]]


def test_log_lines_every_interval_when_not_a_terminal(tmp_path, tiny_env, capsys):
    train(tiny_env, small_config(5, 1, log_interval=2), "lines", tmp_path, device="cpu", progress=True)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("lines: update")]
    # pytest's output is not a terminal, so lines instead of a bar: updates 2 and 4, and the last one
    assert [line.split(" (")[0] for line in lines] == ["lines: update 2", "lines: update 4", "lines: update 5"]
    assert "hearts/agent" in lines[-1] and "return -" not in lines[-1]  # 30-step episodes ended by update 2


def test_an_in_context_run_is_scored_on_the_held_out_suite_as_it_trains(tmp_path):
    pytest.importorskip("gridenv_evals", reason="gridenv-evals is installed by the README's test command")
    config = small_config(1, 1, eval_suite="in-context", eval_suite_episodes=4, eval_episodes=0, torch_threads=1)
    summary = train(gridenv.resolve_config("in-context"), config, "ic", tmp_path, device="cpu", progress=False)
    scores = summary["eval_suite"]["scores"]
    assert summary["eval_suite"]["suite"] == "in-context-v1"
    assert set(scores) == {"gain_mean", "return_mean", "return_first_episode", "return_last_episode"}
    events = EventAccumulator(summary["tensorboard"], size_guidance={"scalars": 0})
    events.Reload()
    assert [e.value for e in events.Scalars("eval/in-context-v1/gain_mean")] == [scores["gain_mean"]]


def test_a_suite_scores_the_policy_during_training_and_in_the_summary(tmp_path):
    pytest.importorskip("gridenv_evals", reason="gridenv-evals is installed by the README's test command")
    env = gridenv.resolve_config("navigation")
    config = small_config(3, 1, eval_suite="navigation", eval_interval=1, eval_suite_episodes=1, eval_episodes=0,
                          torch_threads=1)
    summary = train(env, config, "suite", tmp_path, device="cpu", progress=False)
    scores = summary["eval_suite"]
    assert scores["suite"] == "navigation-v1" and scores["episodes_per_task"] == 1 and len(scores["task_success"]) == 30
    assert 0.0 <= scores["aggregates"]["success"]["mean"] <= 1.0
    events = EventAccumulator(summary["tensorboard"], size_guidance={"scalars": 0})
    events.Reload()
    assert [e.step for e in events.Scalars("eval/navigation-v1/success_mean")] == [64, 128, 192]  # 2 periodic + end
    assert len(events.Scalars("eval/navigation-v1/task/spiral-large/success")) == 3
    assert json.loads((tmp_path / "suite" / "summary.json").read_text())["eval_suite"] == scores
    with pytest.raises(ValueError, match=r"trainer.eval_suite: navigation-v1 observes \(12, 11, 11\) .* this env gives"):
        train(gridenv.resolve_config("arena-small"), small_config(1, 4, eval_suite="navigation"), "bad", tmp_path,
              device="cpu", progress=False)
    with pytest.raises(ValueError, match=r"unknown suite 'mazes'; known suites: cooperation-v1, in-context-v1, "
                                         r"maze-v1, navigation-v1"):
        train(env, small_config(1, 1, eval_suite="mazes"), "bad2", tmp_path, device="cpu", progress=False)
