// gridenv_bench: steps worlds of a game with random actions, no Python involved, for profiling the engine (perf,
// callgrind) and for a Python-free speed figure. The game comes from a rules file that Python writes from the same
// config the registry serves, so the bench never restates a rule:
//   gridenv show arena --format rules --out arena.rules
//   build/<tag>/gridenv_bench arena.rules [steps]                          one world
//   build/<tag>/gridenv_bench arena.rules STEPS NUM_WORLDS NUM_THREADS     the batched VecWorld
// (built by `pip install .`, or by CMake directly). The Python bench (bench/bench_env.py) is the reference figure.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <algorithm>
#include <stdexcept>
#include <vector>

#include "game.hpp"
#include "rng.hpp"
#include "vec_world.hpp"
#include "world.hpp"

using namespace gridenv;

namespace {

std::shared_ptr<const Game> read_game(const char* path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw std::invalid_argument(std::string(path) + ": cannot read (make it with `gridenv show arena "
                                         "--format rules --out " + path + "`)");
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  return std::make_shared<const Game>(decode_rules(bytes.data(), bytes.size()));
}

}  // namespace

// Steps a VecWorld of `num_worlds` arenas on `num_threads` threads for `steps` batched steps.
double vector_agent_steps_per_s(std::shared_ptr<const Game> game, int32_t num_worlds, int32_t num_threads, long steps) {
  VecWorld vec(game, num_worlds, num_threads);
  const size_t n = static_cast<size_t>(num_worlds) * vec.agents_per_world();
  const size_t obs = game->observation_size();
  std::vector<uint8_t> observations(n * obs), final_observations(n * obs);
  std::vector<int32_t> actions(n);
  std::vector<float> rewards(n), stats(n * game->stats().names.size());
  std::unique_ptr<bool[]> terminals(new bool[n]), truncations(new bool[n]), done(new bool[num_worlds]);
  vec.bind_buffers(observations.data(), actions.data(), rewards.data(), terminals.get(), truncations.get(),
                   final_observations.data(), done.get(), stats.data(), nullptr);
  std::vector<uint64_t> seeds(num_worlds);
  for (int32_t w = 0; w < num_worlds; ++w) seeds[w] = static_cast<uint64_t>(w) + 1;
  vec.reset(seeds);
  Rng rng(11);
  std::vector<int32_t> pool(n * 64);
  for (auto& a : pool) a = static_cast<int32_t>(rng.below(static_cast<uint32_t>(vec.world(0).num_actions())));
  const auto start = std::chrono::steady_clock::now();
  for (long t = 0; t < steps; ++t) {
    std::copy_n(pool.begin() + (t % 64) * n, n, actions.begin());
    vec.step();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return steps * static_cast<double>(n) / seconds;
}

int main(int argc, char** argv) try {
  if (argc < 2) {
    std::fprintf(stderr, "usage: gridenv_bench RULES_FILE [STEPS [NUM_WORLDS NUM_THREADS]]\n"
                         "  (gridenv show arena --format rules --out arena.rules)\n");
    return 2;
  }
  const std::shared_ptr<const Game> game = read_game(argv[1]);
  const long steps = argc > 2 ? std::atol(argv[2]) : 200000;
  if (argc > 4) {  // gridenv_bench RULES STEPS NUM_WORLDS NUM_THREADS: the batched engine
    std::printf("vector_agent_steps_per_s %.0f\n",
                vector_agent_steps_per_s(game, std::atoi(argv[3]), std::atoi(argv[4]), steps));
    return 0;
  }
  World world(game);
  const int32_t n = world.num_agents();
  std::vector<uint8_t> observations(static_cast<size_t>(n) * game->observation_size());
  std::vector<int32_t> actions(n);
  std::vector<float> rewards(n);
  std::unique_ptr<bool[]> terminals(new bool[n]), truncations(new bool[n]);
  world.bind_buffers(observations.data(), actions.data(), rewards.data(), terminals.get(), truncations.get());
  world.reset(1);
  // Pre-drawn random actions so the timed loop measures the engine only.
  Rng rng(7);
  std::vector<int32_t> action_pool(static_cast<size_t>(n) * 4096);
  for (auto& a : action_pool) a = static_cast<int32_t>(rng.below(static_cast<uint32_t>(world.num_actions())));
  const auto start = std::chrono::steady_clock::now();
  for (long t = 0; t < steps; ++t) {
    std::copy_n(action_pool.begin() + (t % 4096) * n, n, actions.begin());
    if (world.episode_over()) world.reset(static_cast<uint64_t>(t));
    world.step();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("engine_agent_steps_per_s %.0f\n", steps * n / seconds);
  std::printf("world_memory_bytes %zu\n", world.memory_bytes());
  return 0;
} catch (const std::exception& error) {
  std::fprintf(stderr, "gridenv_bench: %s\n", error.what());
  return 2;
}
