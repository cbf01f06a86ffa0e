// Shared by the libFuzzer harnesses (fuzz_world.cpp, fuzz_state.cpp) and the seed generator (make_state_seeds.cpp):
// how fuzz bytes become GameRules, the caller-owned buffers a Python env binds, and an action stream.
//
// make_rules draws every GameRules field a little past its valid range, so validate_rules (the engine's own check at
// the boundary, which the Python binding reaches unfiltered: gridenv._core.GameRules is read-write) is exercised on
// both sides. Changing the order or the ranges of these draws changes what every corpus file means: keep them stable
// (add new draws after the old ones), or start the corpus again (docs/fuzzing.md).
#pragma once

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "rules.hpp"
#include "world.hpp"

namespace gridenv::fuzz {

inline std::vector<int32_t> amounts(FuzzedDataProvider& in, size_t count, int32_t low, int32_t high) {
  std::vector<int32_t> values(count);
  for (auto& value : values) value = in.ConsumeIntegralInRange<int32_t>(low, high);
  return values;
}

inline MapRules make_map(FuzzedDataProvider& in, int32_t kinds, int32_t agents, int depth) {
  MapRules map;
  map.generator = static_cast<MapGenerator>(in.ConsumeIntegralInRange<int>(0, depth < 1 ? 5 : 4));
  map.width = in.ConsumeIntegralInRange<int32_t>(1, 16);
  map.height = in.ConsumeIntegralInRange<int32_t>(1, 16);
  map.agents = agents;
  map.converter_counts = amounts(in, static_cast<size_t>(kinds), -1, 6);
  map.wall_density = in.ConsumeFloatingPointInRange<double>(-0.1, 1.0);
  map.room_rows = in.ConsumeIntegralInRange<int32_t>(0, 5);
  map.room_cols = in.ConsumeIntegralInRange<int32_t>(0, 5);
  map.maze_algorithm = static_cast<MazeAlgorithm>(in.ConsumeIntegralInRange<int>(0, 2));
  map.corridor_width = in.ConsumeIntegralInRange<int32_t>(0, 4);
  map.cave_fill = in.ConsumeFloatingPointInRange<double>(-0.1, 1.0);
  map.cave_steps = in.ConsumeIntegralInRange<int32_t>(-1, 6);
  if (map.generator == MapGenerator::kAscii) {
    // Mostly the legend's symbols, sometimes anything: the parser must name what it does not know.
    static constexpr char kLegend[] = "#. 0123mca";
    map.ascii.resize(static_cast<size_t>(map.width) * map.height);
    for (char& ch : map.ascii)
      ch = in.ConsumeBool() ? kLegend[in.ConsumeIntegralInRange<size_t>(0, sizeof(kLegend) - 2)]
                            : static_cast<char>(in.ConsumeIntegral<uint8_t>());
  }
  if (map.generator == MapGenerator::kComposite) {
    const int parts = in.ConsumeIntegralInRange<int>(0, 3);
    for (int i = 0; i < parts; ++i) map.parts.push_back(make_map(in, kinds, agents / std::max(1, parts), depth + 1));
    map.columns = in.ConsumeIntegralInRange<int32_t>(0, 3);
  }
  return map;
}

inline GameRules make_rules(FuzzedDataProvider& in) {
  GameRules rules;
  const int32_t num_resources = in.ConsumeIntegralInRange<int32_t>(1, 4);
  rules.resources = {"energy", "diamond", "heart", "ore"};
  rules.resources.resize(static_cast<size_t>(num_resources));
  if (in.ConsumeIntegralInRange<int>(0, 31) == 0) rules.resources[0] = "food";  // refused: energy comes first
  for (int32_t r = 0; r < num_resources; ++r)
    rules.resource_rewards.push_back(in.ConsumeFloatingPointInRange<float>(-2.0f, 2.0f));
  const int32_t kinds = in.ConsumeIntegralInRange<int32_t>(0, 4);
  static constexpr char kSymbols[] = "mcab";
  for (int32_t k = 0; k < kinds; ++k) {
    ConverterRules converter;
    converter.name = std::string("kind") + std::to_string(k);
    converter.symbol = in.ConsumeIntegralInRange<int>(0, 15) == 0 ? static_cast<char>(in.ConsumeIntegral<uint8_t>())
                                                                 : kSymbols[k];
    converter.inputs = amounts(in, static_cast<size_t>(num_resources), -1, 3);
    converter.outputs = amounts(in, static_cast<size_t>(num_resources), -1, 30);
    converter.cooldown = in.ConsumeIntegralInRange<int32_t>(-1, 5);
    converter.max_uses = in.ConsumeIntegralInRange<int32_t>(-1, 3);
    converter.users_required = in.ConsumeIntegralInRange<int32_t>(0, 5);
    rules.converters.push_back(converter);
  }
  const int32_t groups = in.ConsumeIntegralInRange<int32_t>(0, 4);
  const int32_t bodies = groups + in.ConsumeIntegralInRange<int32_t>(0, 2);
  for (int32_t b = 0; b < bodies; ++b) {
    BodyRules body;
    body.action_costs = amounts(in, kNumActionKinds, -1, 4);
    body.resource_caps = amounts(in, static_cast<size_t>(num_resources), -1, 256);
    body.initial_inventory = amounts(in, static_cast<size_t>(num_resources), -1, 60);
    body.energy_regen = in.ConsumeIntegralInRange<int32_t>(-1, 3);
    rules.bodies.push_back(body);
  }
  for (int32_t g = 0; g < groups; ++g) rules.posture_body.push_back(in.ConsumeIntegralInRange<int32_t>(-2, bodies));
  const int32_t num_actions = in.ConsumeIntegralInRange<int32_t>(0, 20);
  for (int32_t a = 0; a < num_actions; ++a)
    rules.actions.push_back(ActionSpec{static_cast<ActionKind>(in.ConsumeIntegralInRange<int>(0, kNumActionKinds)),
                                       in.ConsumeIntegralInRange<uint8_t>(0, 4)});
  rules.combat.freeze_steps = in.ConsumeIntegralInRange<int32_t>(-1, 6);
  rules.combat.steal_fraction = in.ConsumeFloatingPointInRange<float>(-0.5f, 1.5f);
  rules.combat.stealable.resize(static_cast<size_t>(num_resources));
  for (auto& flag : rules.combat.stealable) flag = in.ConsumeIntegralInRange<uint8_t>(0, 2);
  rules.shield.upkeep = in.ConsumeIntegralInRange<int32_t>(-1, 3);
  rules.shield.absorb_cost = in.ConsumeIntegralInRange<int32_t>(-1, 5);
  rules.share.resource = in.ConsumeIntegralInRange<int32_t>(-1, num_resources);
  rules.share.amount = in.ConsumeIntegralInRange<int32_t>(-1, 10);
  rules.glyphs = in.ConsumeIntegralInRange<int32_t>(-1, 5);
  rules.markers = in.ConsumeIntegralInRange<int32_t>(-1, 3);
  rules.marker_duration = in.ConsumeIntegralInRange<int32_t>(-1, 8);
  rules.build.cost = amounts(in, static_cast<size_t>(num_resources), -1, 3);
  rules.build.max_walls_per_agent = in.ConsumeIntegralInRange<int32_t>(-1, 3);
  rules.build.max_destroys_per_agent = in.ConsumeIntegralInRange<int32_t>(-1, 3);
  KinshipRules& kin = rules.kinship;
  kin.scheme = static_cast<KinshipScheme>(in.ConsumeIntegralInRange<int>(0, 5));
  kin.normalize_rows = in.ConsumeBool();
  kin.self_weight = in.ConsumeFloatingPointInRange<float>(-0.1f, 1.1f);
  kin.kin_weight = in.ConsumeFloatingPointInRange<float>(-0.1f, 1.1f);
  kin.beta_a = in.ConsumeFloatingPointInRange<float>(-1.0f, 5.0f);
  kin.beta_b = in.ConsumeFloatingPointInRange<float>(-1.0f, 5.0f);
  kin.family_size = in.ConsumeIntegralInRange<int32_t>(0, 4);
  kin.families_per_clan = in.ConsumeIntegralInRange<int32_t>(0, 3);
  kin.clans_per_tribe = in.ConsumeIntegralInRange<int32_t>(0, 3);
  kin.bond_window = in.ConsumeIntegralInRange<int32_t>(-1, 4);
  kin.bond_weight = in.ConsumeFloatingPointInRange<float>(-0.1f, 1.1f);
  kin.bond_cost = in.ConsumeIntegralInRange<int32_t>(-1, 10);
  int32_t agents = 0;
  for (int32_t g = 0; g < groups; ++g) {
    rules.agents_per_group.push_back(in.ConsumeIntegralInRange<int32_t>(-1, 4));
    agents += std::max(0, rules.agents_per_group.back());
  }
  rules.goal_resource = in.ConsumeIntegralInRange<int32_t>(-2, num_resources);
  rules.goal_amount = in.ConsumeIntegralInRange<int32_t>(-1, 3);
  rules.shuffle_recipes = in.ConsumeBool();
  rules.max_steps = in.ConsumeIntegralInRange<int32_t>(-1, 40);
  rules.obs_height = in.ConsumeIntegralInRange<int32_t>(0, 9);
  rules.obs_width = in.ConsumeIntegralInRange<int32_t>(0, 9);
  rules.map = make_map(in, kinds, agents, 0);
  // Draws added after the ones above (so older corpus files still decode to the same rules but for this):
  // the engine refuses a repeated action-table entry, which the draws above make in most tables, so keep the first of
  // each (kind, argument), except now and then (the refusal stays exercised).
  if (in.ConsumeIntegralInRange<int>(0, 15) != 0) {
    std::vector<ActionSpec> unique;
    for (const ActionSpec& spec : rules.actions) {
      bool seen = false;
      for (const ActionSpec& kept : unique) seen = seen || (kept.kind == spec.kind && kept.arg == spec.arg);
      if (!seen) unique.push_back(spec);
    }
    rules.actions = unique;
  }
  // recipe_pool (added after the above; an exhausted input draws 0, no pool): up to 3 permutations of the converter
  // kinds drawn by swaps, now and then one broken (an entry out of range or repeated) so the refusal stays exercised.
  const int pool_size = in.ConsumeIntegralInRange<int>(0, 3);
  const size_t kinds_count = rules.converters.size();
  for (int p = 0; p < pool_size; ++p) {
    std::vector<int32_t> permutation(kinds_count);
    for (size_t k = 0; k < kinds_count; ++k) permutation[k] = static_cast<int32_t>(k);
    for (size_t k = kinds_count; k > 1; --k)
      std::swap(permutation[k - 1], permutation[in.ConsumeIntegralInRange<size_t>(0, k - 1)]);
    if (!permutation.empty() && in.ConsumeIntegralInRange<int>(0, 7) == 0)
      permutation[0] = in.ConsumeIntegralInRange<int32_t>(-1, static_cast<int32_t>(kinds_count));
    rules.recipe_pool.push_back(std::move(permutation));
  }
  return rules;
}

// The buffers a Python env binds, sized for the world.
struct Buffers {
  std::vector<uint8_t> observations;
  std::vector<int32_t> actions;
  std::vector<float> rewards;
  std::unique_ptr<bool[]> terminals, truncations;
  void bind(World& world) {
    const size_t agents = static_cast<size_t>(world.num_agents());
    observations.assign(agents * world.num_channels() * world.rules().obs_height * world.rules().obs_width, 0);
    actions.assign(agents, 0);
    rewards.assign(agents, 0.0f);
    terminals.reset(new bool[agents]());
    truncations.reset(new bool[agents]());
    world.bind_buffers(observations.data(), actions.data(), rewards.data(), terminals.get(), truncations.get());
  }
};

inline uint64_t fnv1a(const uint8_t* data, size_t size) {
  uint64_t value = 14695981039346656037ull;
  for (size_t i = 0; i < size; ++i) value = (value ^ data[i]) * 1099511628211ull;
  return value;
}

// A finding that is no crash by itself (a broken promise of the engine): print it and abort, so libFuzzer keeps the
// input as a crash-* file.
[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "FINDING: %s\n", what.c_str());
  std::abort();
}

// GRIDENV_FUZZ_STRICT=1 in the environment: known findings fail too, to check a fix (none is let pass now: an open
// finding can be, with `if (!strict()) return ...;` where it trips and a line in docs/fuzzing.md).
inline bool strict() {
  static const bool value = [] {
    const char* flag = std::getenv("GRIDENV_FUZZ_STRICT");
    return flag != nullptr && std::string(flag) == "1";
  }();
  return value;
}

// Reset (or auto-reset) of rules the constructor accepted: refusing is a finding, since World(rules) promises that a
// map that cannot be drawn is refused when the env is made (so a vector env's auto-reset never throws; until
// d54aeed a maze or rooms map too small for its objects was not: cpp/fuzz/crashes/world-maze-too-small-for-its-agents).
// Returns true (a bool, so that a known finding can be let pass here again while it is open: docs/fuzzing.md).
inline bool reset_accepted(World& world, const uint64_t* seed) {
  try {
    if (seed != nullptr) world.reset(*seed);
    else world.reset_next();
  } catch (const std::exception& error) {
    finding(std::string(seed ? "reset" : "auto-reset (reset_next)") + " threw for rules World() accepted: " +
            error.what());
  }
  return true;
}

// Everything a caller reads besides the step's buffers: the action mask, the map codes, the observation bounds, and
// the rules file of the world's rules, which must decode to the same rules (same digest).
inline void read_everything(const World& world) {
  std::vector<uint8_t> mask(static_cast<size_t>(world.num_agents()) * world.num_actions());
  world.fill_action_mask(mask.data());
  std::vector<uint8_t> codes(static_cast<size_t>(world.height()) * world.width());
  world.fill_map_codes(codes.data());
  std::vector<uint8_t> high(world.game().observation_size());
  world.game().fill_observation_high(high.data());
  (void)world.memory_bytes();
  const std::vector<uint8_t> file = encode_rules(world.rules());
  if (rules_digest(decode_rules(file.data(), file.size())) != world.game().digest())
    finding("a rules file decoded to other rules than it was encoded from");
}

inline bool same_outputs(const World& a, const Buffers& x, const World& b, const Buffers& y) {
  const size_t n = static_cast<size_t>(a.num_agents());
  return a.step_count() == b.step_count() && x.observations == y.observations && x.rewards == y.rewards &&
         std::equal(x.terminals.get(), x.terminals.get() + n, y.terminals.get()) &&
         std::equal(x.truncations.get(), x.truncations.get() + n, y.truncations.get());
}

// Steps `world` with actions drawn from the input (now and then out of range: the step must refuse, not index with
// them), auto-resetting at the end of an episode. With a twin (a world of the same rules that loaded this one's
// saved state), the twin gets the same actions and must produce the same outputs: save_state/load_state promise
// that a loaded world continues exactly where the saved one was. The draws are the same with or without a twin.
inline void play(World& world, Buffers& buffers, FuzzedDataProvider& in, int steps, World* twin = nullptr,
                 Buffers* twin_buffers = nullptr) {
  for (int t = 0; t < steps && in.remaining_bytes() > 0; ++t) {
    for (auto& action : buffers.actions)
      action = in.ConsumeIntegralInRange<int>(0, 63) == 0 ? in.ConsumeIntegral<int32_t>()
                                                          : in.ConsumeIntegralInRange<int32_t>(0, world.num_actions() - 1);
    bool refused = false, twin_refused = false;
    try {
      world.step();
    } catch (const std::logic_error&) {
      refused = true;
    }
    if (twin != nullptr) {
      twin_buffers->actions = buffers.actions;
      try {
        twin->step();
      } catch (const std::logic_error&) {
        twin_refused = true;
      }
      if (refused != twin_refused || !same_outputs(world, buffers, *twin, *twin_buffers))
        finding("a world that loaded another's saved state diverged from it at step " +
                std::to_string(world.step_count()));
    }
    if (world.episode_over()) reset_accepted(world, nullptr);
    if (twin != nullptr && twin->episode_over()) reset_accepted(*twin, nullptr);
  }
  read_everything(world);
}

}  // namespace gridenv::fuzz
