"""The bench scripts still run and print the figures docs/benchmarks.md quotes (tiny budgets; no timing asserted)."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def figures(script: str, *args: str, timeout: float = 300) -> dict[str, float]:
    """Run bench/<script> and parse its 'name value' lines."""
    result = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, result.stderr[-3000:]
    parsed = {}
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            try:
                parsed[parts[0]] = float(parts[1])
            except ValueError:
                pass
    return parsed


def test_bench_env_prints_engine_and_pettingzoo_rates():
    out = figures("bench_env.py", "--env", "arena-small", "--seconds", "0.2", "--all-mechanics", "--kinship", "bonds")
    assert out["engine_agent_steps_per_s"] > 0 and out["pettingzoo_agent_steps_per_s"] > 0
    assert out["world_memory_bytes"] > 0


def test_bench_maps_prints_a_reset_time_per_generator():
    out = figures("bench_maps.py", "--size", "20", "--repeats", "2")
    for generator in ("random", "rooms", "maze_backtracker", "maze_kruskal", "cave"):
        assert out[f"reset_{generator}_20x20_ms"] > 0


def test_bench_vector_prints_rates_memory_and_soak():
    out = figures("bench_vector.py", "--seconds", "0.2", "--num-envs", "2", "--soak-world-steps", "2000")
    for key in ("vector_1_thread_agent_steps_per_s", "vector_2_threads_agent_steps_per_s",
                "pettingzoo_agent_steps_per_s", "bytes_per_world", "bytes_per_agent", "soak_rss_after_mib",
                "share_of_memcpy_bandwidth_in_observation_writes"):
        assert out[key] > 0, key
    assert out["observation_bytes_per_agent_step"] == 14 * 11 * 11


@pytest.mark.slow
def test_bench_train_prints_both_trainers_and_the_flop_accounting():
    out = figures("bench_train.py", "--env", "arena-small", "--timesteps", "2048", "--sb3-timesteps", "2048",
                  "--flops")
    assert out["gridenv_train_agent_steps_per_s"] > 0 and out["sb3_mlp_agent_steps_per_s"] > 0
    shares = [out[f"gridenv_train_time_share_{part}"] for part in ("env", "inference", "learn")]
    assert sum(shares) == pytest.approx(1.0, abs=0.01)
    # gridenv-train's CNN + LSTM does more arithmetic per agent-step than SB3's 64-64 MLP (17.05 vs 4.14 MFLOP on
    # the arena's 14x11x11 observation)
    assert out["gridenv_train_mflop_per_agent_step"] > out["sb3_mlp_mflop_per_agent_step"] > 0
    assert out["matmul_peak_gflops_float32"] > 0
