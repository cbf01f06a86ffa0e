// libFuzzer harness for saved states: the bytes World::load_state and VecWorld::load_state read are the fuzz input
// itself, so libFuzzer mutates the state format directly (lengths, ids, positions, timers, kinship weights) and its
// comparison tracing steers mutations past the engine's checks.
//
// Input: [L: uint16, little-endian][L bytes: rules and controls, decoded like fuzz_world's (fuzz_rules.hpp)][state].
// The harness re-seals the state's checksum (its last 8 bytes) before loading, so every mutation reaches the engine's
// own checks (fuzz_world covers damaged checksums). A state that starts with the World magic ("GRIDENV") is loaded
// into two worlds of those rules, a fresh one and one that has played: both must accept it or both refuse it, a
// refused load must leave the world as it was, and worlds that accepted it must save the same bytes (which load back
// unchanged) and then step alike (actions drawn from a seed in the input, now and then out of range). Anything else is loaded as a
// two-world VecWorld state and stepped through auto-resets. Seeds (cpp/fuzz/corpus-state) are real saved states,
// written by make_state_seeds.cpp (docs/fuzzing.md), so mutations start deep in valid states.
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "fuzz_rules.hpp"
#include "vec_world.hpp"

using namespace gridenv;
using namespace gridenv::fuzz;

namespace {

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Mostly valid actions, one in 64 out of range (the step must refuse it before anything moves).
void draw_actions(std::vector<int32_t>& actions, int32_t num_actions, uint64_t& rng) {
  for (auto& action : actions) {
    const uint64_t r = splitmix64(rng);
    action = (r & 63) == 0 ? static_cast<int32_t>(r >> 32) : static_cast<int32_t>((r >> 8) % num_actions);
  }
}

// Where two byte strings first differ, for the message of a finding.
std::string difference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  return " (" + std::to_string(a.size()) + " and " + std::to_string(b.size()) + " bytes, first difference at byte " +
         std::to_string(i) + ")";
}

bool try_load(World& world, const std::vector<uint8_t>& state) {
  try {
    world.load_state(state.data(), state.size());
    return true;
  } catch (const std::invalid_argument&) {
    return false;
  }
}

void world_state(const GameRules& rules, const std::vector<uint8_t>& state, uint64_t seed, int prior, int steps) {
  World fresh(rules), used(rules);
  Buffers fresh_buffers, used_buffers;
  fresh_buffers.bind(fresh);
  used_buffers.bind(used);
  if (!reset_accepted(used, &seed)) return;
  uint64_t rng = seed;
  for (int t = 0; t < prior && !used.episode_over(); ++t) {
    draw_actions(used_buffers.actions, used.num_actions(), rng);
    try {
      used.step();
    } catch (const std::invalid_argument&) {
    }
  }
  const std::vector<uint8_t> before = used.save_state();
  const std::vector<uint8_t> observations_before = used_buffers.observations;
  const bool fresh_ok = try_load(fresh, state), used_ok = try_load(used, state);
  if (fresh_ok != used_ok) finding("a state loaded into one world of these rules but not into another");
  if (!used_ok) {
    if (used.save_state() != before || used_buffers.observations != observations_before)
      finding("a refused load changed the world");
    return;
  }
  // The load rebuilds what follows from other fields (kinship.quantized and row_sums, the wall layer), so a forged
  // state need not save back as it came; but both worlds must hold the same, and that must load back unchanged.
  const std::vector<uint8_t> canonical = fresh.save_state();
  if (used.save_state() != canonical)
    finding("two worlds that loaded one state save different states" + difference(canonical, used.save_state()));
  World again(rules);
  Buffers again_buffers;
  again_buffers.bind(again);
  if (!try_load(again, canonical)) finding("a world refused the state a world that loaded a state saved");
  if (again.save_state() != canonical)
    finding("a loaded, saved and reloaded state changed" + difference(canonical, again.save_state()));
  if (!same_outputs(fresh, fresh_buffers, used, used_buffers)) finding("two worlds that loaded one state differ");
  read_everything(fresh);
  for (int t = 0; t < steps; ++t) {
    draw_actions(fresh_buffers.actions, fresh.num_actions(), rng);
    used_buffers.actions = fresh_buffers.actions;
    bool fresh_refused = false, used_refused = false;
    try {
      fresh.step();
    } catch (const std::logic_error&) {
      fresh_refused = true;
    }
    try {
      used.step();
    } catch (const std::logic_error&) {
      used_refused = true;
    }
    if (fresh_refused != used_refused || !same_outputs(fresh, fresh_buffers, used, used_buffers))
      finding("two worlds that loaded one state diverged at step " + std::to_string(fresh.step_count()));
    if (fresh.episode_over()) reset_accepted(fresh, nullptr);
    if (used.episode_over()) reset_accepted(used, nullptr);
  }
  read_everything(used);
  if (fresh.save_state() != used.save_state()) finding("two worlds that loaded one state saved different states");
}

void vec_state(const GameRules& rules, const std::vector<uint8_t>& state, uint64_t seed, int steps) {
  constexpr int32_t kWorlds = 2;
  VecWorld vec(rules, kWorlds, 1);
  const World& first = vec.world(0);
  const size_t agents = static_cast<size_t>(kWorlds) * vec.agents_per_world();
  const size_t observation = first.game().observation_size();
  std::vector<uint8_t> observations(agents * observation), final_observations(agents * observation);
  std::vector<int32_t> actions(agents, 0);
  std::vector<float> rewards(agents), episode_stats(agents * first.game().stats().names.size());
  std::unique_ptr<bool[]> terminals(new bool[agents]()), truncations(new bool[agents]()),
      episode_done(new bool[kWorlds]());
  std::vector<uint8_t> mask(agents * first.num_actions());
  vec.bind_buffers(observations.data(), actions.data(), rewards.data(), terminals.get(), truncations.get(),
                   final_observations.data(), episode_done.get(), episode_stats.data(), mask.data());
  try {
    vec.reset({seed, seed + 1});
  } catch (const std::exception& error) {
    finding(std::string("VecWorld.reset threw for rules World() accepted: ") + error.what());
  }
  const std::vector<uint8_t> before = vec.save_state();
  try {
    vec.load_state(state.data(), state.size());
  } catch (const std::invalid_argument&) {
    if (vec.save_state() != before) finding("a refused VecWorld load changed a world");
    return;
  }
  const std::vector<uint8_t> canonical = vec.save_state();  // (see world_state on why not `state` itself)
  try {
    vec.load_state(canonical.data(), canonical.size());
  } catch (const std::invalid_argument& error) {
    finding(std::string("a VecWorld refused the state it saved after a load: ") + error.what());
  }
  if (vec.save_state() != canonical)
    finding("a loaded, saved and reloaded VecWorld state changed" + difference(canonical, vec.save_state()));
  uint64_t rng = seed;
  for (int t = 0; t < steps; ++t) {
    draw_actions(actions, first.num_actions(), rng);
    try {
      vec.step();
    } catch (const std::invalid_argument&) {  // an out-of-range action: refused before any world moved
    } catch (const std::exception& error) {
      finding(std::string("VecWorld.step threw: ") + error.what());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t rules_size = std::min<size_t>(data[0] | (static_cast<size_t>(data[1]) << 8), size - 2);
  FuzzedDataProvider in(data + 2, rules_size);
  const GameRules rules = make_rules(in);
  try {
    World check(rules);
  } catch (const std::logic_error&) {
    return 0;
  }
  const uint64_t seed = in.ConsumeIntegral<uint64_t>();
  const int prior = in.ConsumeIntegralInRange<int>(0, 8);
  const int steps = in.ConsumeIntegralInRange<int>(0, 16);
  std::vector<uint8_t> state(data + 2 + rules_size, data + size);
  if (state.size() >= 8) {
    const uint64_t seal = fnv1a(state.data(), state.size() - 8);
    std::memcpy(state.data() + state.size() - 8, &seal, 8);
  }
  try {  // the same bytes as a rules file: refused by name, never a crash
    decode_rules(state.data(), state.size());
  } catch (const std::invalid_argument&) {
  }
  if (state.size() >= 7 && std::memcmp(state.data(), "GRIDENV", 7) == 0) world_state(rules, state, seed, prior, steps);
  else vec_state(rules, state, seed, steps);
  return 0;
}
