// Game: one game's immutable description, shared read-only by every World made from it (as OpenSpiel's Game is by
// its States): the validated rules and everything that follows from them alone — the agents and their groups, the
// map's size, the action names, the observation channels and self features with their upper bounds, the stat table
// and the rules' digest. Built (and validated, and the map trial-drawn) once per config: a VecWorld of 4096 worlds
// holds one. Spaces and names are read from a Game without making a World.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "map_gen.hpp"
#include "observations.hpp"
#include "rules.hpp"
#include "stats.hpp"

namespace gridenv {

class Game {
 public:
  explicit Game(GameRules rules);  // throws std::invalid_argument on invalid rules

  const GameRules& rules() const { return rules_; }
  uint64_t digest() const { return digest_; }  // rules_digest(rules()): saved states carry it
  int32_t num_agents() const { return static_cast<int32_t>(agent_groups_.size()); }
  const std::vector<uint8_t>& agent_groups() const { return agent_groups_; }  // [agents]
  const std::vector<int32_t>& agents_per_group() const { return agents_per_group_; }
  int32_t map_height() const { return map_height_; }
  int32_t map_width() const { return map_width_; }
  int32_t num_resources() const { return static_cast<int32_t>(rules_.resources.size()); }
  int32_t num_actions() const { return static_cast<int32_t>(rules_.actions.size()); }
  const std::vector<std::string>& action_names() const { return action_names_; }  // "move_north", "glyph_2", ...

  // Observations (observations.hpp): planes of obs_height x obs_width, one per channel.
  int32_t num_channels() const { return static_cast<int32_t>(channels_.size()); }
  const std::vector<ObservedFeature>& channels() const { return channels_; }
  const std::vector<ObservedFeature>& self_features() const { return self_features_; }
  size_t observation_size() const { return channels_.size() * rules_.obs_height * rules_.obs_width; }  // per agent
  // Upper bound of every observation value [C * H * W]; the lower bound is 0 everywhere.
  void fill_observation_high(uint8_t* out) const;

  const StatTable& stats() const { return stats_; }

  // An ASCII map's layout, parsed once for every world of the game (empty for generated maps).
  const Layout& fixed_layout() const { return fixed_layout_; }

 private:
  GameRules rules_;
  uint64_t digest_ = 0;
  std::vector<uint8_t> agent_groups_;
  std::vector<int32_t> agents_per_group_;
  int32_t map_height_ = 0, map_width_ = 0;
  std::vector<std::string> action_names_;
  std::vector<ObservedFeature> channels_, self_features_;
  StatTable stats_;
  Layout fixed_layout_;
};

// The name of an action-table entry: its kind, with the index for glyphs and markers ("glyph_2").
std::string action_name(const ActionSpec& spec);

}  // namespace gridenv
