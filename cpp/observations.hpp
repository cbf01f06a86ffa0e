// Observations: the egocentric window each agent sees, as uint8 planes (C, H, W), north up, the agent at the centre.
//
// Channel layout (written by World::write_observation in observations.cpp; K = converter kinds, R = resources):
//   0        wall               1 for a wall or a cell outside the map
//   1        agent              1 where an agent stands (the observer included, at the centre)
//   2        agent_group        group index + 1 of the agent there
//   3        agent_orientation  orientation + 1 (1 north, 2 south, 3 west, 4 east)
//   4        agent_kinship      round(255 * K[observer][agent]): the observer's kinship to the agent there
//   5        agent_frozen       steps the agent there stays frozen, capped at 255
//   6        agent_shield       1 if the agent there has its shield up
//   7        agent_glyph        glyph + 1 shown by the agent there (0 none)
//   8        marker             marker kind + 1 on the floor there, while it lasts
//   9        converter_cooldown steps until the converter there is ready again (0 = ready), capped at 255
//   10..10+K-1 converter_<name> 1 = that kind is there and usable now, 2 = there but cooling down or used up
//   10+K     self               the observer's own state, one feature per cell in row-major order:
//                                 [0, R)  inventory per resource (energy first)
//                                 R       orientation + 1
//                                 R+1     group + 1
//                                 R+2     episode progress: floor(255 * step / max_steps)
//                                 R+3     last action index + 1 (0 before the first step)
//                                 R+4     1 if the last action succeeded
//                                 R+5     steps still frozen, capped at 255
//                                 R+6     1 if the shield is up
//                                 R+7     glyph + 1 (0 none)
//                                 R+8     1 while in the group's posture body (switch_body)
//                               every other cell of this plane is 0
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rules.hpp"

namespace gridenv {

enum Channel : int32_t {
  kWallChannel = 0,
  kAgentChannel,
  kAgentGroupChannel,
  kAgentOrientationChannel,
  kAgentKinshipChannel,
  kAgentFrozenChannel,
  kAgentShieldChannel,
  kAgentGlyphChannel,
  kMarkerChannel,
  kConverterCooldownChannel,
  kFirstConverterChannel,
};

constexpr int32_t kSelfFeaturesAfterInventory = 9;

inline int32_t num_channels(int32_t num_converter_kinds) { return kFirstConverterChannel + num_converter_kinds + 1; }

// One observed quantity (a channel, or a feature of the self plane): its name and the largest value it takes under
// the given rules (the smallest is 0). The lists below are the only place names and bounds are written.
struct ObservedFeature {
  std::string name;
  uint8_t high = 0;
};
std::vector<ObservedFeature> observation_channels(const GameRules& rules);  // [C], in channel order
std::vector<ObservedFeature> self_features(const GameRules& rules);         // [R + 9], in self-plane order
inline int32_t self_channel(int32_t num_converter_kinds) { return kFirstConverterChannel + num_converter_kinds; }
inline int32_t num_self_features(int32_t num_resources) { return num_resources + kSelfFeaturesAfterInventory; }

}  // namespace gridenv
