#include "game.hpp"

#include <cstring>
#include <tuple>
#include <stdexcept>

#include "rng.hpp"

namespace gridenv {
namespace {

std::vector<std::string> names_of(const std::vector<ActionSpec>& actions) {
  std::vector<std::string> names;
  for (const ActionSpec& spec : actions) names.push_back(action_name(spec));
  return names;
}

}  // namespace

std::string action_name(const ActionSpec& spec) {
  std::string name(kActionNames[static_cast<int32_t>(spec.kind)]);
  if (takes_index(spec.kind)) name += "_" + std::to_string(spec.arg);
  return name;
}

// Members initialise in declaration order: the rules are validated (digest_'s initialiser) before anything is derived
// from them.
Game::Game(GameRules rules)
    : rules_(std::move(rules)),
      digest_((validate_rules(rules_), rules_digest(rules_))),
      action_names_(names_of(rules_.actions)),
      channels_(gridenv::observation_channels(rules_)),
      self_features_(gridenv::self_features(rules_)),
      stats_(rules_, action_names_) {
  if (rules_.map.generator == MapGenerator::kAscii) {
    Rng rng(0);  // an ASCII map draws nothing
    generate_map(rules_, rng, fixed_layout_);
    agent_groups_ = fixed_layout_.agent_groups;
  } else {
    if (rules_.map.generator != MapGenerator::kRandom && rules_.map.generator != MapGenerator::kCave) {
      // Mazes and rooms have as many open cells on every seed: one trial draw refuses, when the game is made,
      // objects that could never fit (random and cave maps redraw and fall back instead; validate_map checks them).
      Rng trial_rng(1);
      Layout trial;
      generate_map(rules_, trial_rng, trial);
    }
    // Random maps number agents group by group.
    for (size_t g = 0; g < rules_.agents_per_group.size(); ++g)
      agent_groups_.insert(agent_groups_.end(), static_cast<size_t>(rules_.agents_per_group[g]),
                           static_cast<uint8_t>(g));
  }
  if (agent_groups_.empty()) throw std::invalid_argument("map: at least one agent is required, the map has none");
  if (num_agents() > Limits::kMaxAgents)
    throw std::invalid_argument("map: at most " + std::to_string(Limits::kMaxAgents) + " agents, got " +
                                std::to_string(num_agents()));
  agents_per_group_.assign(static_cast<size_t>(rules_.num_groups()), 0);
  for (uint8_t group : agent_groups_) ++agents_per_group_[group];
  std::tie(map_height_, map_width_) = map_size(rules_.map);
  if (channels_.size() != static_cast<size_t>(gridenv::num_channels(static_cast<int32_t>(rules_.converters.size()))) ||
      self_features_.size() != static_cast<size_t>(num_self_features(num_resources())))
    throw std::logic_error("Game: the observation tables disagree with the channel layout (observations.hpp)");
}

void Game::fill_observation_high(uint8_t* out) const {
  const size_t plane = static_cast<size_t>(rules_.obs_height) * rules_.obs_width;
  const size_t self = channels_.size() - 1;
  for (size_t c = 0; c < self; ++c) std::memset(out + c * plane, channels_[c].high, plane);
  uint8_t* self_plane = out + self * plane;
  std::memset(self_plane, 0, plane);  // cells past the features stay 0
  for (size_t f = 0; f < self_features_.size(); ++f) self_plane[f] = self_features_[f].high;
}

}  // namespace gridenv
