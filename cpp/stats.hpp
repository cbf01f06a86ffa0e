// Stats: the per-agent episode statistics a World keeps (World::stats), named once here. Families expand with the
// rules: one stat per resource (gained, consumed, stolen, lost_to_theft), per action-table entry (action.<name>,
// action.<name>.failed) and per converter kind (<kind>.used). The table is built once per Game; World adds to a stat
// by its index (stat_.reward, stat_.first_gained + resource, ...).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rules.hpp"

namespace gridenv {

struct StatTable {
  explicit StatTable(const GameRules& rules, const std::vector<std::string>& action_names);

  std::vector<std::string> names;
  // Families: index of the first member (add the resource, action or converter kind).
  int32_t first_gained = 0, first_consumed = 0, first_stolen = 0, first_lost_to_theft = 0;
  int32_t first_action = 0, first_action_failed = 0, first_converter_used = 0;
  // Single stats.
  int32_t energy_spent = 0, reward = 0, raw_reward = 0, share_given = 0, share_received = 0, attack_hits = 0;
  int32_t attack_blocked = 0, frozen_steps = 0, shield_steps = 0, shield_absorbed = 0, walls_built = 0;
  int32_t walls_destroyed = 0, bonds_formed = 0, markers_dropped = 0;
  // The same acts toward kin (kinship weight > 0 with the other agent when it happens): cooperation read by kin.
  int32_t share_given_kin = 0, attack_hits_kin = 0, stolen_kin = 0, joint_uses = 0, joint_uses_kin = 0;
};

inline StatTable::StatTable(const GameRules& rules, const std::vector<std::string>& action_names) {
  auto add = [this](const std::string& name) {
    names.push_back(name);
    return static_cast<int32_t>(names.size() - 1);
  };
  auto add_family = [&](const std::vector<std::string>& members, const std::string& prefix, const std::string& suffix) {
    const auto first = static_cast<int32_t>(names.size());
    for (const auto& member : members) add(prefix + member + suffix);
    return first;
  };
  first_gained = add_family(rules.resources, "", ".gained");
  first_consumed = add_family(rules.resources, "", ".consumed");
  first_stolen = add_family(rules.resources, "", ".stolen");
  first_lost_to_theft = add_family(rules.resources, "", ".lost_to_theft");
  energy_spent = add("energy.spent");
  reward = add("reward");
  raw_reward = add("reward.raw");
  share_given = add("share.given");
  share_received = add("share.received");
  attack_hits = add("attack.hits");
  attack_blocked = add("attack.blocked");
  frozen_steps = add("frozen.steps");
  shield_steps = add("shield.steps");
  shield_absorbed = add("shield.energy_absorbed");
  walls_built = add("walls.built");
  walls_destroyed = add("walls.destroyed");
  bonds_formed = add("bonds.formed");
  markers_dropped = add("markers.dropped");
  share_given_kin = add("share.given.kin");
  attack_hits_kin = add("attack.hits.kin");
  stolen_kin = add("stolen.kin");
  joint_uses = add("joint_uses");
  joint_uses_kin = add("joint_uses.kin");
  first_action = add_family(action_names, "action.", "");
  first_action_failed = add_family(action_names, "action.", ".failed");
  std::vector<std::string> kinds;
  for (const auto& converter : rules.converters) kinds.push_back(converter.name);
  first_converter_used = add_family(kinds, "", ".used");
}

}  // namespace gridenv
