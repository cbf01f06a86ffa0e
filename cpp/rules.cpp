#include "rules.hpp"

#include <cmath>
#include <cstdio>

#include <stdexcept>
#include <string>
#include <type_traits>

#include "grid.hpp"
#include "map_gen.hpp"
#include "observations.hpp"

namespace gridenv {
namespace {

[[noreturn]] void fail(const std::string& message) { throw std::invalid_argument(message); }

void require_size(const std::string& field, size_t size, size_t expected) {
  if (size != expected)
    fail(field + ": expected " + std::to_string(expected) + " entries, got " + std::to_string(size));
}

void require_range(const std::string& field, int64_t value, int64_t low, int64_t high) {
  if (value < low || value > high)
    fail(field + ": must be in [" + std::to_string(low) + ", " + std::to_string(high) + "], got " +
         std::to_string(value));
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.15g", value);
  return text;
}

}  // namespace

void require_bounds(const std::string& field, double value, double low, double high, Bounds bounds) {
  const bool above_low = bounds == Bounds::kLowOpen ? value > low : value >= low;  // NaN fails both
  const bool below_high = bounds == Bounds::kHighOpen ? value < high : value <= high;
  if (!(above_low && below_high))
    fail(field + ": must be in " + (bounds == Bounds::kLowOpen ? "(" : "[") + number(low) + ", " + number(high) +
         (bounds == Bounds::kHighOpen ? ")" : "]") + ", got " + number(value));
}

void validate_rules(const GameRules& rules) {
  const size_t num_resources = rules.resources.size();
  if (num_resources == 0 || rules.resources[0] != "energy") fail("resources: the first resource must be 'energy'");
  if (num_resources > Limits::kMaxResources)
    fail("resources: at most " + std::to_string(Limits::kMaxResources) + " resource types, got " +
         std::to_string(num_resources));
  for (size_t r = 1; r < num_resources; ++r)
    for (size_t q = 0; q < r; ++q)
      if (rules.resources[q] == rules.resources[r]) fail("resources: names must be unique, '" + rules.resources[r] +
                                                         "' appears twice");
  require_size("resource_rewards", rules.resource_rewards.size(), num_resources);
  for (size_t r = 0; r < num_resources; ++r)
    if (!(std::fabs(rules.resource_rewards[r]) <= 1e6f))  // NaN fails too; shared sums stay finite in float32
      fail("resource_rewards." + rules.resources[r] + ": must be a finite number in [-1e6, 1e6], got " +
           std::to_string(rules.resource_rewards[r]));
  if (rules.converters.size() > Limits::kMaxConverterKinds)
    fail("converters: at most " + std::to_string(Limits::kMaxConverterKinds) + " kinds, got " +
         std::to_string(rules.converters.size()));
  for (size_t k = 0; k < rules.converters.size(); ++k) {
    const ConverterRules& converter = rules.converters[k];
    const std::string field = "converters." + converter.name;
    require_size(field + ".inputs", converter.inputs.size(), num_resources);
    require_size(field + ".outputs", converter.outputs.size(), num_resources);
    for (size_t r = 0; r < num_resources; ++r) {
      require_range(field + ".inputs." + rules.resources[r], converter.inputs[r], 0, Limits::kMaxAmount);
      require_range(field + ".outputs." + rules.resources[r], converter.outputs[r], 0, Limits::kMaxAmount);
    }
    validate_fields(converter, field + ".");
    const char s = converter.symbol;
    if (s < 33 || s > 126 || kReservedMapSymbols.find(s) != std::string_view::npos)
      fail(field + ".symbol: must be one printable character other than '#', '.', ' ' and digits");
    for (size_t j = 0; j < k; ++j)
      if (rules.converters[j].symbol == s) fail(field + ".symbol: '" + std::string(1, s) + "' is already used by " +
                                                rules.converters[j].name);
  }
  const size_t num_groups = rules.posture_body.size();
  if (num_groups == 0 || num_groups > Limits::kMaxGroups)
    fail("groups: between 1 and " + std::to_string(Limits::kMaxGroups) + " groups, got " + std::to_string(num_groups));
  if (rules.bodies.size() < num_groups || rules.bodies.size() > 2 * num_groups)
    fail("bodies: expected one body per group plus at most one posture body each, got " +
         std::to_string(rules.bodies.size()) + " for " + std::to_string(num_groups) + " groups");
  for (size_t g = 0; g < num_groups; ++g) {
    const int32_t posture = rules.posture_body[g];
    if (posture != -1 && (posture < static_cast<int32_t>(num_groups) || posture >= static_cast<int32_t>(rules.bodies.size())))
      fail("groups[" + std::to_string(g) + "].posture: body index must be -1 or in [" + std::to_string(num_groups) +
           ", " + std::to_string(rules.bodies.size() - 1) + "], got " + std::to_string(posture));
  }
  for (size_t g = 0; g < rules.bodies.size(); ++g) {
    const BodyRules& body = rules.bodies[g];
    const std::string field = "bodies[" + std::to_string(g) + "]";
    require_size(field + ".action_costs", body.action_costs.size(), kNumActionKinds);
    require_size(field + ".resource_caps", body.resource_caps.size(), num_resources);
    require_size(field + ".initial_inventory", body.initial_inventory.size(), num_resources);
    for (int32_t a = 0; a < kNumActionKinds; ++a)
      require_range(field + ".action_costs." + std::string(kActionNames[a]), body.action_costs[a], 0, Limits::kMaxAmount);
    for (size_t r = 0; r < num_resources; ++r) {
      require_range(field + ".resource_caps." + rules.resources[r], body.resource_caps[r], 0, Limits::kMaxAmount);
      require_range(field + ".initial_inventory." + rules.resources[r], body.initial_inventory[r], 0,
                    body.resource_caps[r]);
    }
    validate_fields(body, field + ".");
  }
  validate_fields(rules, "");
  if (rules.actions.empty() || rules.actions.size() > Limits::kMaxActions)
    fail("actions: the action table must have 1 to " + std::to_string(Limits::kMaxActions) + " entries, got " +
         std::to_string(rules.actions.size()));
  for (size_t a = 0; a < rules.actions.size(); ++a) {
    const ActionSpec& spec = rules.actions[a];
    const std::string field = "actions[" + std::to_string(a) + "]";
    require_range(field + " (kind)", static_cast<int32_t>(spec.kind), 0, kNumActionKinds - 1);
    if (takes_index(spec.kind)) {
      const bool glyph = spec.kind == ActionKind::kGlyph;
      const int32_t available = glyph ? rules.glyphs : rules.markers;
      const std::string kind(kActionNames[static_cast<int32_t>(spec.kind)]);
      if (spec.arg < 0 || spec.arg >= available)
        fail("actions: '" + kind + "_" + std::to_string(spec.arg) + "' needs " + kind + "s > " +
             std::to_string(spec.arg) + ", but " + kind + "s is " + std::to_string(available));
    } else {
      require_range(field + " (argument)", spec.arg, 0, 0);
    }
    for (size_t b = 0; b < a; ++b)
      if (spec.kind == rules.actions[b].kind && spec.arg == rules.actions[b].arg)
        fail("actions: entries " + std::to_string(b) + " and " + std::to_string(a) + " are the same action; the "
             "table must not repeat one");
  }
  validate_fields(rules.combat, "combat.");
  require_size("combat.stealable", rules.combat.stealable.size(), num_resources);
  validate_fields(rules.shield, "shield.");
  require_range("share.resource", rules.share.resource, 0, static_cast<int64_t>(num_resources) - 1);
  validate_fields(rules.share, "share.");
  require_size("build.cost", rules.build.cost.size(), num_resources);
  for (int32_t cost : rules.build.cost) require_range("build.cost", cost, 0, Limits::kMaxAmount);
  validate_fields(rules.build, "build.");
  const KinshipRules& kin = rules.kinship;
  require_range("kinship.scheme", static_cast<int32_t>(kin.scheme), 0, static_cast<int32_t>(KinshipScheme::kBonds));
  validate_fields(kin, "kinship.");
  if (!rules.recipe_pool.empty() && !rules.shuffle_recipes) fail("recipe_pool: needs shuffle_recipes");
  if (rules.recipe_pool.size() > static_cast<size_t>(Limits::kMaxRecipePool))
    fail("recipe_pool: at most " + std::to_string(Limits::kMaxRecipePool) + " permutations, got " +
         std::to_string(rules.recipe_pool.size()));
  const size_t kinds = rules.converters.size();
  for (size_t p = 0; p < rules.recipe_pool.size(); ++p) {
    const auto& permutation = rules.recipe_pool[p];
    std::vector<uint8_t> seen(kinds, 0);
    bool ok = permutation.size() == kinds;
    for (size_t i = 0; ok && i < kinds; ++i)
      ok = permutation[i] >= 0 && static_cast<size_t>(permutation[i]) < kinds && !seen[permutation[i]]++;
    if (!ok) {
      std::string listed;
      for (int32_t recipe : permutation) listed += (listed.empty() ? "" : ", ") + std::to_string(recipe);
      fail("recipe_pool[" + std::to_string(p) + "]: must be a permutation of 0.." + std::to_string(kinds - 1) +
           " (one recipe index per converter kind), got [" + listed + "]");
    }
  }
  if (rules.obs_height % 2 == 0) fail("obs_height: must be odd so the agent sits at the centre, got " +
                                      std::to_string(rules.obs_height));
  if (rules.obs_width % 2 == 0) fail("obs_width: must be odd so the agent sits at the centre, got " +
                                     std::to_string(rules.obs_width));
  if (rules.obs_height * rules.obs_width < num_self_features(static_cast<int32_t>(num_resources)))
    fail("obs_height * obs_width: the window must hold the " +
         std::to_string(num_self_features(static_cast<int32_t>(num_resources))) + " self features");

  validate_map(rules.map, rules, "map");
  if (rules.map.generator == MapGenerator::kAscii) {
    if (!rules.agents_per_group.empty()) fail("agents_per_group: must be empty for an ASCII map (its digits decide)");
  } else {
    if (rules.agents_per_group.size() != num_groups)
      fail("agents_per_group: expected one count per group (" + std::to_string(num_groups) + "), got " +
           std::to_string(rules.agents_per_group.size()));
    int64_t total = 0;
    for (int32_t count : rules.agents_per_group) {
      require_range("agents_per_group", count, 0, Limits::kMaxAgents);
      total += count;
    }
    if (total != count_spawns(rules.map))
      fail("map: places " + std::to_string(count_spawns(rules.map)) + " agents but the groups have " +
           std::to_string(total));
  }
  require_range("goal_resource", rules.goal_resource, -1, static_cast<int64_t>(num_resources) - 1);
  // An agent holding goal_amount of the goal resource terminates: 0 would end every agent at its first step.
  require_range("goal_amount", rules.goal_amount, rules.goal_resource >= 0 ? 1 : 0, Limits::kMaxAmount);
}

namespace {

// FNV-1a over the fields' values; containers fold in their length first, so [1, 2] + [] and [1] + [2] differ.
struct Digest {
  uint64_t value = 14695981039346656037ull;
  void bytes(const void* data, size_t size) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < size; ++i) value = (value ^ p[i]) * 1099511628211ull;
  }
  template <typename T>
  void add(const T& scalar) {
    static_assert(std::is_arithmetic_v<T> || std::is_enum_v<T>);
    bytes(&scalar, sizeof(scalar));
  }
  void add(const std::string& text) {
    add(static_cast<uint64_t>(text.size()));
    bytes(text.data(), text.size());
  }
  template <typename T>
  void add(const std::vector<T>& items) {
    add(static_cast<uint64_t>(items.size()));
    for (const T& item : items) add(item);
  }
  void add(const ActionSpec& action) {  // one byte each, as when ActionSpec held bytes: digests stay as they were
    add(static_cast<uint8_t>(action.kind));
    add(static_cast<uint8_t>(action.arg));
  }
  void add(const ConverterRules& c) {
    add(c.name), add(c.symbol), add(c.inputs), add(c.outputs), add(c.cooldown), add(c.max_uses), add(c.users_required);
  }
  void add(const BodyRules& b) { add(b.action_costs), add(b.resource_caps), add(b.initial_inventory), add(b.energy_regen); }
  void add(const MapRules& m) {
    add(m.generator), add(m.width), add(m.height), add(m.ascii), add(m.agents), add(m.converter_counts);
    add(m.wall_density), add(m.room_rows), add(m.room_cols), add(m.maze_algorithm), add(m.corridor_width);
    add(m.cave_fill), add(m.cave_steps), add(m.parts), add(m.columns);
  }
};

}  // namespace

uint64_t rules_digest(const GameRules& r) {
  Digest d;
  d.add(r.resources), d.add(r.resource_rewards), d.add(r.converters), d.add(r.bodies), d.add(r.posture_body);
  d.add(r.actions);
  d.add(r.combat.freeze_steps), d.add(r.combat.steal_fraction), d.add(r.combat.stealable);
  d.add(r.shield.upkeep), d.add(r.shield.absorb_cost), d.add(r.share.resource), d.add(r.share.amount);
  d.add(r.glyphs), d.add(r.markers), d.add(r.marker_duration);
  d.add(r.build.cost), d.add(r.build.max_walls_per_agent), d.add(r.build.max_destroys_per_agent);
  const KinshipRules& k = r.kinship;
  d.add(k.scheme), d.add(k.normalize_rows), d.add(k.self_weight), d.add(k.kin_weight), d.add(k.beta_a), d.add(k.beta_b);
  d.add(k.family_size), d.add(k.families_per_clan), d.add(k.clans_per_tribe), d.add(k.family_weight);
  d.add(k.clan_weight), d.add(k.tribe_weight), d.add(k.bond_window), d.add(k.bond_weight), d.add(k.bond_cost);
  d.add(r.agents_per_group), d.add(r.goal_resource), d.add(r.goal_amount), d.add(r.shuffle_recipes);
  d.add(r.max_steps), d.add(r.obs_height), d.add(r.obs_width), d.add(r.map);
  if (!r.recipe_pool.empty()) d.add(r.recipe_pool);  // only when used: rules without one keep their digests
  return d.value;
}

}  // namespace gridenv
