// Writing observations: each agent's egocentric window and self features (World's member functions), their channel
// names and exact upper bounds. The channel layout is in observations.hpp.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "observations.hpp"
#include "world.hpp"

namespace gridenv {

void World::write_observations() {
  const size_t per_agent = static_cast<size_t>(num_channels()) * rules_.obs_height * rules_.obs_width;
  for (int32_t a = 0; a < num_agents_; ++a) write_observation(a, observations_ + a * per_agent);
}

void World::write_observation(int32_t agent_id, uint8_t* out) const {
  // Channel layout: see observations.hpp. Members are copied to locals: writes through `out` could alias them, and
  // reloading them per cell costs more than the writes. The wall channel is a row copy of the grid's wall layer;
  // objects and markers are found a 64-bit load at a time, visiting only the lanes that hold something.
  const int32_t height = rules_.obs_height, width = rules_.obs_width;
  const int32_t plane = height * width;
  const int32_t num_kinds = static_cast<int32_t>(rules_.converters.size());
  const int32_t num_agents = num_agents_, step = step_;
  const bool has_markers = rules_.markers > 0;
  std::memset(out, 0, static_cast<size_t>(num_channels()) * plane);
  const Agent& self = agents_[agent_id];
  const int32_t top = self.row - height / 2, left = self.col - width / 2;
  for (int32_t dr = 0; dr < height; ++dr) {
    const Cell* row = grid_.pointer(top + dr, left);
    uint8_t* out_row = out + dr * width;
    std::memcpy(out_row + kWallChannel * plane, grid_.wall_pointer(top + dr, left), static_cast<size_t>(width));
    if (has_markers) {
      // Eight cells per load; lanes past the window's width are masked off (the grid has slack to read past).
      const uint8_t* kinds = grid_.marker_kind_pointer(top + dr, left);
      for (int32_t base = 0; base < width; base += 8) {
        uint64_t chunk;
        std::memcpy(&chunk, kinds + base, sizeof(chunk));
        if (width - base < 8) chunk &= (uint64_t{1} << (8 * (width - base))) - 1;
        while (chunk != 0) {
          const int32_t lane = __builtin_ctzll(chunk) / 8;
          out_row[kMarkerChannel * plane + base + lane] = kinds[base + lane];
          chunk &= ~(uint64_t{0xFF} << (8 * lane));
        }
      }
    }
    // Four cells per load; only lanes holding an object are visited.
    for (int32_t base = 0; base < width; base += 4) {
      uint64_t chunk;
      std::memcpy(&chunk, row + base, sizeof(chunk));
      chunk &= kObjectLanes;
      if (width - base < 4) chunk &= (uint64_t{1} << (16 * (width - base))) - 1;
      while (chunk != 0) {
        const int32_t lane = __builtin_ctzll(chunk) / 16;
        chunk &= ~(uint64_t{0xFFFF} << (16 * lane));
        const int32_t dc = base + lane;
        const Cell cell = row[dc];
        uint8_t* at = out_row + dc;
        const int32_t object = cell - kFirstObjectCell;
        if (object < num_agents) {
          const Agent& other = agents_[object];
          at[kAgentChannel * plane] = 1;
          at[kAgentGroupChannel * plane] = static_cast<uint8_t>(other.group + 1);
          at[kAgentOrientationChannel * plane] = static_cast<uint8_t>(static_cast<int>(other.orientation) + 1);
          at[kAgentKinshipChannel * plane] = kinship_.quantized(agent_id, object);
          at[kAgentFrozenChannel * plane] = static_cast<uint8_t>(std::min(255, std::max(0, other.frozen_until - step)));
          at[kAgentShieldChannel * plane] = other.shield ? 1 : 0;
          at[kAgentGlyphChannel * plane] = other.glyph;
        } else {
          const Converter& converter = converters_[object - num_agents];
          const ConverterRules& kind = rules_.converters[recipe_of_kind_[converter.kind]];
          // 64-bit: the difference of two int32 step counters cannot overflow whatever the counters hold
          const int64_t wait = std::min<int64_t>(255, std::max<int64_t>(0, int64_t{converter.ready_step} - step));
          const bool used_up = kind.max_uses > 0 && converter.uses >= kind.max_uses;
          at[kConverterCooldownChannel * plane] = static_cast<uint8_t>(wait);
          at[(kFirstConverterChannel + converter.kind) * plane] = (wait == 0 && !used_up) ? 1 : 2;
        }
      }
    }
  }
  uint8_t* self_plane = out + self_channel(num_kinds) * plane;
  const int32_t num_res = num_resources();
  const int32_t* inventory = inventory_.data() + static_cast<size_t>(agent_id) * num_res;
  for (int32_t r = 0; r < num_res; ++r) self_plane[r] = static_cast<uint8_t>(inventory[r]);  // caps are <= 255
  uint8_t* features = self_plane + num_res;
  features[0] = static_cast<uint8_t>(static_cast<int>(self.orientation) + 1);
  features[1] = static_cast<uint8_t>(self.group + 1);
  features[2] = static_cast<uint8_t>((static_cast<int64_t>(step_) * 255) / rules_.max_steps);
  features[3] = static_cast<uint8_t>(self.last_action + 1);
  features[4] = self.last_action_succeeded ? 1 : 0;
  features[5] = static_cast<uint8_t>(std::min(255, std::max(0, self.frozen_until - step_)));
  features[6] = self.shield ? 1 : 0;
  features[7] = self.glyph;
  features[8] = self.body == self.group ? 0 : 1;
}

std::vector<ObservedFeature> observation_channels(const GameRules& rules) {
  int32_t max_cooldown = 0;
  for (const auto& converter : rules.converters) max_cooldown = std::max(max_cooldown, converter.cooldown);
  const auto groups = static_cast<uint8_t>(rules.num_groups());
  std::vector<ObservedFeature> channels = {
      {"wall", 1},
      {"agent", 1},
      {"agent_group", groups},
      {"agent_orientation", 4},
      {"agent_kinship", 255},
      {"agent_frozen", static_cast<uint8_t>(std::min(255, rules.combat.freeze_steps))},
      {"agent_shield", 1},
      {"agent_glyph", static_cast<uint8_t>(rules.glyphs)},
      {"marker", static_cast<uint8_t>(rules.markers)},
      {"converter_cooldown", static_cast<uint8_t>(std::min(255, max_cooldown))},
  };
  for (const auto& converter : rules.converters) channels.push_back({"converter_" + converter.name, 2});
  channels.push_back({"self", 255});  // per feature: self_features
  return channels;
}

std::vector<ObservedFeature> self_features(const GameRules& rules) {
  std::vector<ObservedFeature> features;
  for (size_t r = 0; r < rules.resources.size(); ++r) {
    int32_t cap = 0;
    for (const auto& body : rules.bodies) cap = std::max(cap, body.resource_caps[r]);
    features.push_back({"inventory_" + rules.resources[r], static_cast<uint8_t>(cap)});
  }
  const auto groups = static_cast<uint8_t>(rules.num_groups());
  const auto frozen = static_cast<uint8_t>(std::min(255, rules.combat.freeze_steps));
  const std::vector<ObservedFeature> after_inventory = {
      {"orientation", 4},
      {"group", groups},
      {"episode_progress", 255},
      {"last_action", static_cast<uint8_t>(rules.actions.size())},
      {"last_action_succeeded", 1},
      {"frozen", frozen},
      {"shield", 1},
      {"glyph", static_cast<uint8_t>(rules.glyphs)},
      {"posture", 1},
  };
  features.insert(features.end(), after_inventory.begin(), after_inventory.end());
  return features;
}

}  // namespace gridenv
