// libFuzzer harness for the engine's boundary: rules, action streams and saved states, as Python can hand them over.
//
// The Python binding exposes every GameRules field (gridenv._core.GameRules is read-write), so the engine itself
// must refuse what pydantic would refuse. From one input the harness builds rules (each field drawn a little past
// its valid range, so the validator is exercised on both sides), makes a World (std::invalid_argument is a
// refusal, not a finding), resets it, steps a stream of actions (out-of-range ones included), saves its state,
// flips bytes in it, re-seals the checksum so the mutation reaches the engine's own checks, and loads it into a
// world of the same rules (another refusal is fine) before stepping again. Crashes, sanitizer reports, hangs and
// leaks are findings. Build and run: .ci/fuzz (docs/fuzzing.md).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "rules.hpp"
#include "world.hpp"

using namespace gridenv;

namespace {

std::vector<int32_t> amounts(FuzzedDataProvider& in, size_t count, int32_t low, int32_t high) {
  std::vector<int32_t> values(count);
  for (auto& value : values) value = in.ConsumeIntegralInRange<int32_t>(low, high);
  return values;
}

MapRules make_map(FuzzedDataProvider& in, int32_t kinds, int32_t agents, int depth) {
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

GameRules make_rules(FuzzedDataProvider& in) {
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

uint64_t fnv1a(const uint8_t* data, size_t size) {
  uint64_t value = 14695981039346656037ull;
  for (size_t i = 0; i < size; ++i) value = (value ^ data[i]) * 1099511628211ull;
  return value;
}

void play(World& world, Buffers& buffers, FuzzedDataProvider& in, int steps) {
  for (int t = 0; t < steps && in.remaining_bytes() > 0; ++t) {
    for (auto& action : buffers.actions)  // now and then out of range: the step must refuse, not index with it
      action = in.ConsumeIntegralInRange<int>(0, 63) == 0 ? in.ConsumeIntegral<int32_t>()
                                                          : in.ConsumeIntegralInRange<int32_t>(0, world.num_actions() - 1);
    try {
      world.step();
    } catch (const std::logic_error&) {
    }
    if (world.episode_over()) world.reset_next();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  GameRules rules = make_rules(in);
  try {
    World world(rules);
    Buffers buffers;
    buffers.bind(world);
    world.reset(in.ConsumeIntegral<uint64_t>());
    play(world, buffers, in, in.ConsumeIntegralInRange<int>(0, 24));
    std::vector<uint8_t> state = world.save_state();
    // Flip a few bytes and re-seal the checksum (the last 8 bytes), so the mutation meets the engine's checks.
    const int flips = in.ConsumeIntegralInRange<int>(0, 4);
    for (int i = 0; i < flips && state.size() > 8; ++i)
      state[in.ConsumeIntegralInRange<size_t>(0, state.size() - 9)] ^= in.ConsumeIntegralInRange<uint8_t>(1, 255);
    if (state.size() >= 8 && in.ConsumeBool()) {
      const uint64_t seal = fnv1a(state.data(), state.size() - 8);
      std::memcpy(state.data() + state.size() - 8, &seal, 8);
    }
    if (in.ConsumeIntegralInRange<int>(0, 7) == 0) state.resize(in.ConsumeIntegralInRange<size_t>(0, state.size()));
    World other(rules);
    Buffers other_buffers;
    other_buffers.bind(other);
    try {
      other.load_state(state.data(), state.size());
      play(other, other_buffers, in, in.ConsumeIntegralInRange<int>(0, 12));
    } catch (const std::logic_error&) {
    }
  } catch (const std::logic_error&) {  // rules refused by name: the engine's job
  }
  return 0;
}
