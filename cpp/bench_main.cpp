// gridenv_bench: steps a 24-agent arena-like world with random actions, no Python involved.
// For profiling the engine (perf, callgrind) and for a Python-free speed figure:
//   build/<tag>/gridenv_bench [steps]                          one world
//   build/<tag>/gridenv_bench STEPS NUM_WORLDS NUM_THREADS     the batched VecWorld
// (built by `pip install .`, or by CMake directly)
// The rules mirror the Python `arena` config (all arena mechanics on, teams kinship); the Python bench (bench/bench_env.py) is the reference figure.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <algorithm>
#include <vector>

#include "rng.hpp"
#include "vec_world.hpp"
#include "world.hpp"

using namespace gridenv;

namespace {

GameRules arena_rules() {
  GameRules rules;
  rules.resources = {"energy", "diamond", "heart"};
  rules.resource_rewards = {0.0f, 0.0f, 1.0f};
  rules.converters = {
      {"mine", 'm', {0, 0, 0}, {0, 1, 0}, 20, 0, 1},
      {"charger", 'c', {0, 1, 0}, {25, 0, 0}, 0, 0, 1},
      {"altar", 'a', {50, 0, 0}, {0, 0, 1}, 10, 0, 1},
  };
  BodyRules body;
  //                 noop  moves       use attack shield share glyph marker build destroy bond switch
  body.action_costs = {0, 1, 1, 1, 1, 1, 5, 1, 1, 1, 1, 5, 2, 3, 1};
  body.resource_caps = {100, 50, 255};
  body.initial_inventory = {25, 0, 0};
  body.energy_regen = 1;
  rules.bodies = {body, body, body, body};
  rules.posture_body = {-1, -1, -1, -1};
  for (auto kind : {ActionKind::kNoop, ActionKind::kMoveNorth, ActionKind::kMoveSouth, ActionKind::kMoveWest,
                    ActionKind::kMoveEast, ActionKind::kUse, ActionKind::kAttack, ActionKind::kToggleShield,
                    ActionKind::kShare})
    rules.actions.push_back({kind, 0});
  for (uint8_t k = 0; k < 4; ++k) rules.actions.push_back({ActionKind::kGlyph, k});
  for (uint8_t k = 0; k < 2; ++k) rules.actions.push_back({ActionKind::kMarker, k});
  rules.combat = {10, 0.5f, {0, 1, 1}};
  rules.shield = {1, 10};
  rules.share = {0, 10};
  rules.glyphs = 4;
  rules.markers = 2;
  rules.marker_duration = 20;
  rules.build = {{0, 1, 0}, 0};
  rules.kinship.scheme = KinshipScheme::kTeams;
  rules.max_steps = 1000;
  rules.map.width = 32;
  rules.map.height = 32;
  rules.agents_per_group = {6, 6, 6, 6};
  rules.map.agents = 24;
  rules.map.converter_counts = {20, 8, 6};
  rules.map.wall_density = 0.08;
  return rules;
}

}  // namespace

// Steps a VecWorld of `num_worlds` arenas on `num_threads` threads for `steps` batched steps.
double vector_agent_steps_per_s(int32_t num_worlds, int32_t num_threads, long steps) {
  VecWorld vec(arena_rules(), num_worlds, num_threads);
  const size_t n = static_cast<size_t>(num_worlds) * vec.agents_per_world();
  const size_t obs = static_cast<size_t>(vec.world(0).num_channels()) * 11 * 11;
  std::vector<uint8_t> observations(n * obs), final_observations(n * obs);
  std::vector<int32_t> actions(n);
  std::vector<float> rewards(n), stats(n * vec.world(0).stat_names().size());
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

int main(int argc, char** argv) {
  const long steps = argc > 1 ? std::atol(argv[1]) : 200000;
  if (argc > 3) {  // gridenv_bench STEPS NUM_WORLDS NUM_THREADS: the batched engine
    std::printf("vector_agent_steps_per_s %.0f\n",
                vector_agent_steps_per_s(std::atoi(argv[2]), std::atoi(argv[3]), steps));
    return 0;
  }
  World world(arena_rules());
  const int32_t n = world.num_agents();
  std::vector<uint8_t> observations(static_cast<size_t>(n) * world.num_channels() * 11 * 11);
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
}
