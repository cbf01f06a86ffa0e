#include "rules.hpp"

#include <cmath>

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

}  // namespace

void validate_rules(const GameRules& rules) {
  const size_t num_resources = rules.resources.size();
  if (num_resources == 0 || rules.resources[0] != "energy") fail("resources: the first resource must be 'energy'");
  if (num_resources > 32) fail("resources: at most 32 resource types, got " + std::to_string(num_resources));
  require_size("resource_rewards", rules.resource_rewards.size(), num_resources);
  for (size_t r = 0; r < num_resources; ++r)
    if (!(std::fabs(rules.resource_rewards[r]) <= 1e6f))  // NaN fails too; shared sums stay finite in float32
      fail("resource_rewards." + rules.resources[r] + ": must be a finite number in [-1e6, 1e6], got " +
           std::to_string(rules.resource_rewards[r]));
  if (rules.converters.size() > 64) fail("converters: at most 64 kinds, got " + std::to_string(rules.converters.size()));
  for (size_t k = 0; k < rules.converters.size(); ++k) {
    const ConverterRules& converter = rules.converters[k];
    const std::string field = "converters." + converter.name;
    require_size(field + ".inputs", converter.inputs.size(), num_resources);
    require_size(field + ".outputs", converter.outputs.size(), num_resources);
    for (size_t r = 0; r < num_resources; ++r) {
      require_range(field + ".inputs." + rules.resources[r], converter.inputs[r], 0, 255);
      require_range(field + ".outputs." + rules.resources[r], converter.outputs[r], 0, 255);
    }
    require_range(field + ".cooldown", converter.cooldown, 0, 1000000);
    require_range(field + ".max_uses", converter.max_uses, 0, 1000000000);
    require_range(field + ".users_required", converter.users_required, 1, 4);
    const char s = converter.symbol;
    if (s == '#' || s == '.' || s == ' ' || (s >= '0' && s <= '9') || s < 33 || s > 126)
      fail(field + ".symbol: must be a printable character other than '#', '.', ' ' and the digits");
    for (size_t j = 0; j < k; ++j)
      if (rules.converters[j].symbol == s) fail(field + ".symbol: '" + std::string(1, s) + "' is already used by " +
                                                rules.converters[j].name);
  }
  const size_t num_groups = rules.posture_body.size();
  if (num_groups == 0 || num_groups > 10) fail("groups: between 1 and 10 groups, got " + std::to_string(num_groups));
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
      require_range(field + ".action_costs." + std::string(kActionNames[a]), body.action_costs[a], 0, 255);
    for (size_t r = 0; r < num_resources; ++r) {
      require_range(field + ".resource_caps." + rules.resources[r], body.resource_caps[r], 0, 255);
      require_range(field + ".initial_inventory." + rules.resources[r], body.initial_inventory[r], 0,
                    body.resource_caps[r]);
    }
    require_range(field + ".energy_regen", body.energy_regen, 0, 255);
  }
  if (rules.actions.empty() || rules.actions.size() > 254)
    fail("actions: the action table must have 1 to 254 entries, got " + std::to_string(rules.actions.size()));
  require_range("glyphs", rules.glyphs, 0, 254);
  require_range("markers", rules.markers, 0, 254);
  require_range("marker_duration", rules.marker_duration, 0, 1000000);
  for (size_t a = 0; a < rules.actions.size(); ++a)
    for (size_t b = 0; b < a; ++b)
      if (rules.actions[a].kind == rules.actions[b].kind && rules.actions[a].arg == rules.actions[b].arg)
        fail("actions: entries " + std::to_string(b) + " and " + std::to_string(a) + " are the same action; the "
             "table must not repeat one");
  for (const ActionSpec& spec : rules.actions) {
    require_range("actions (kind)", static_cast<int32_t>(spec.kind), 0, kNumActionKinds - 1);
    if (spec.kind == ActionKind::kGlyph) require_range("actions (glyph index)", spec.arg, 0, rules.glyphs - 1);
    else if (spec.kind == ActionKind::kMarker) require_range("actions (marker index)", spec.arg, 0, rules.markers - 1);
    else require_range("actions (argument)", spec.arg, 0, 0);
  }
  require_range("combat.freeze_steps", rules.combat.freeze_steps, 0, 1000000);
  if (!(rules.combat.steal_fraction >= 0.0f && rules.combat.steal_fraction <= 1.0f))
    fail("combat.steal_fraction: must be in [0, 1], got " + std::to_string(rules.combat.steal_fraction));
  require_size("combat.stealable", rules.combat.stealable.size(), num_resources);
  require_range("shield.upkeep", rules.shield.upkeep, 0, 255);
  require_range("shield.absorb_cost", rules.shield.absorb_cost, 0, 255);
  require_range("share.resource", rules.share.resource, 0, static_cast<int64_t>(num_resources) - 1);
  require_range("share.amount", rules.share.amount, 0, 255);
  require_size("build.cost", rules.build.cost.size(), num_resources);
  for (int32_t cost : rules.build.cost) require_range("build.cost", cost, 0, 255);
  require_range("build.max_walls_per_agent", rules.build.max_walls_per_agent, 0, 1000000);
  require_range("build.max_destroys_per_agent", rules.build.max_destroys_per_agent, 0, 1000000);
  const KinshipRules& kin = rules.kinship;
  require_range("kinship.scheme", static_cast<int32_t>(kin.scheme), 0, static_cast<int32_t>(KinshipScheme::kBonds));
  auto require_weight = [](const std::string& field, float w, bool allow_zero) {
    if (!(w <= 1.0f && (allow_zero ? w >= 0.0f : w > 0.0f)))
      fail(field + ": must be in " + (allow_zero ? "[0, 1]" : "(0, 1]") + ", got " + std::to_string(w));
  };
  require_weight("kinship.self_weight", kin.self_weight, false);
  require_weight("kinship.kin_weight", kin.kin_weight, true);
  require_weight("kinship.family_weight", kin.family_weight, true);
  require_weight("kinship.clan_weight", kin.clan_weight, true);
  require_weight("kinship.tribe_weight", kin.tribe_weight, true);
  require_weight("kinship.bond_weight", kin.bond_weight, true);
  if (!(kin.beta_a > 0.0f && kin.beta_b > 0.0f && kin.beta_a < 1e6f && kin.beta_b < 1e6f))
    fail("kinship.beta_a, kinship.beta_b: must be positive and below 1e6");
  require_range("kinship.family_size", kin.family_size, 1, 4096);
  require_range("kinship.families_per_clan", kin.families_per_clan, 1, 4096);
  require_range("kinship.clans_per_tribe", kin.clans_per_tribe, 1, 4096);
  require_range("kinship.bond_window", kin.bond_window, 0, 1000000);
  require_range("kinship.bond_cost", kin.bond_cost, 0, 255);
  if (!rules.recipe_pool.empty() && !rules.shuffle_recipes) fail("recipe_pool: needs shuffle_recipes");
  if (rules.recipe_pool.size() > 1000000)
    fail("recipe_pool: at most 1000000 permutations, got " + std::to_string(rules.recipe_pool.size()));
  for (size_t p = 0; p < rules.recipe_pool.size(); ++p) {
    const auto& permutation = rules.recipe_pool[p];
    const std::string field = "recipe_pool[" + std::to_string(p) + "]";
    require_size(field, permutation.size(), rules.converters.size());
    std::vector<uint8_t> seen(rules.converters.size(), 0);
    for (int32_t recipe : permutation) {
      require_range(field, recipe, 0, static_cast<int64_t>(rules.converters.size()) - 1);
      if (seen[recipe]++) fail(field + ": not a permutation of the converter kinds (repeats " +
                               std::to_string(recipe) + ")");
    }
  }
  require_range("max_steps", rules.max_steps, 1, 1000000000);
  require_range("obs_height", rules.obs_height, 1, 63);
  require_range("obs_width", rules.obs_width, 1, 63);
  if (rules.obs_height % 2 == 0 || rules.obs_width % 2 == 0) fail("obs_height, obs_width: must be odd");
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
      require_range("agents_per_group", count, 0, 4096);
      total += count;
    }
    if (total != count_spawns(rules.map))
      fail("map: places " + std::to_string(count_spawns(rules.map)) + " agents but the groups have " +
           std::to_string(total));
  }
  require_range("goal_resource", rules.goal_resource, -1, static_cast<int64_t>(num_resources) - 1);
  // An agent holding goal_amount of the goal resource terminates: 0 would end every agent at its first step.
  require_range("goal_amount", rules.goal_amount, rules.goal_resource >= 0 ? 1 : 0, 255);
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
  void add(const ActionSpec& action) {
    add(action.kind);
    add(action.arg);
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
