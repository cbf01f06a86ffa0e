#include "world.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "observations.hpp"

namespace gridenv {

World::World(GameRules rules) : rules_(std::move(rules)) {
  validate_rules(rules_);
  if (!rules_.map.ascii.empty()) parse_ascii(rules_, layout_);  // a fixed map is parsed (and checked) once
  num_agents_ = 0;
  for (int32_t count : count_agents_per_group(rules_)) num_agents_ += count;
  if (num_agents_ < 1) throw std::invalid_argument("map: at least one agent is required, the map has none");
  if (num_agents_ > 4096) throw std::invalid_argument("map: at most 4096 agents, got " + std::to_string(num_agents_));

  const int32_t padding = std::max(rules_.obs_height, rules_.obs_width) / 2;
  grid_.resize(rules_.map.height, rules_.map.width, padding);
  agents_.resize(num_agents_);
  // Groups are fixed by the rules (random maps number agents group by group), so they are known before any reset.
  if (!rules_.map.ascii.empty()) {
    for (int32_t a = 0; a < num_agents_; ++a) agents_[a].group = layout_.agent_groups[a];
  } else {
    int32_t next = 0;
    for (size_t g = 0; g < rules_.map.agents_per_group.size(); ++g)
      for (int32_t i = 0; i < rules_.map.agents_per_group[g]; ++i) agents_[next++].group = static_cast<uint8_t>(g);
  }
  inventory_.assign(static_cast<size_t>(num_agents_) * num_resources(), 0);
  order_.resize(num_agents_);

  for (const auto& resource : rules_.resources) {
    stat_names_.push_back(resource + ".gained");
  }
  stat_first_gained_ = 0;
  stat_first_consumed_ = static_cast<int32_t>(stat_names_.size());
  for (const auto& resource : rules_.resources) stat_names_.push_back(resource + ".consumed");
  stat_energy_spent_ = static_cast<int32_t>(stat_names_.size());
  stat_names_.push_back("energy.spent");
  stat_reward_ = static_cast<int32_t>(stat_names_.size());
  stat_names_.push_back("reward");
  stat_first_action_ = static_cast<int32_t>(stat_names_.size());
  for (ActionKind kind : rules_.actions) stat_names_.push_back("action." + std::string(kActionNames[int(kind)]));
  stat_first_action_failed_ = static_cast<int32_t>(stat_names_.size());
  for (ActionKind kind : rules_.actions)
    stat_names_.push_back("action." + std::string(kActionNames[int(kind)]) + ".failed");
  stat_first_converter_used_ = static_cast<int32_t>(stat_names_.size());
  for (const auto& converter : rules_.converters) stat_names_.push_back(converter.name + ".used");
  stats_.assign(static_cast<size_t>(num_agents_) * stat_names_.size(), 0.0);
}

int32_t World::num_channels() const { return gridenv::num_channels(static_cast<int32_t>(rules_.converters.size())); }

void World::bind_buffers(uint8_t* observations, const int32_t* actions, float* rewards, bool* terminals,
                         bool* truncations) {
  observations_ = observations;
  actions_ = actions;
  rewards_ = rewards;
  terminals_ = terminals;
  truncations_ = truncations;
}

void World::reset(uint64_t seed) {
  if (observations_ == nullptr) throw std::logic_error("World.reset: bind_buffers must be called first");
  rng_.reseed(seed);
  if (rules_.map.ascii.empty()) generate_random(rules_, rng_, layout_);
  build_from_layout();
  step_ = 0;
  std::fill(stats_.begin(), stats_.end(), 0.0);
  for (int32_t a = 0; a < num_agents_; ++a) {
    rewards_[a] = 0.0f;
    terminals_[a] = false;
    truncations_[a] = false;
    order_[a] = a;
  }
  write_observations();
}

void World::build_from_layout() {
  const int32_t height = layout_.height, width = layout_.width;
  converters_.clear();
  for (int32_t r = 0; r < height; ++r) {
    for (int32_t c = 0; c < width; ++c) {
      const uint8_t tile = layout_.tiles[static_cast<size_t>(r) * width + c];
      Cell& cell = grid_.at(r, c);
      if (tile == kTileEmpty) {
        cell = kEmptyCell;
      } else if (tile == kTileWall) {
        cell = kWallCell;
      } else {
        Converter converter;
        converter.row = r;
        converter.col = c;
        converter.kind = static_cast<uint16_t>(tile - kTileFirstConverter);
        converters_.push_back(converter);
        cell = kEmptyCell;  // set below, once the id is known
      }
    }
  }
  if (num_agents_ + static_cast<int32_t>(converters_.size()) > kMaxObjects)
    throw std::invalid_argument("map: too many objects (" + std::to_string(converters_.size()) + " converters)");
  for (size_t i = 0; i < converters_.size(); ++i)
    grid_.at(converters_[i].row, converters_[i].col) = converter_cell(num_agents_, static_cast<int32_t>(i));
  const int32_t num_res = num_resources();
  for (int32_t a = 0; a < num_agents_; ++a) {
    Agent& agent = agents_[a];
    agent = Agent{};
    agent.row = layout_.agent_rows[a];
    agent.col = layout_.agent_cols[a];
    agent.group = layout_.agent_groups[a];
    grid_.at(agent.row, agent.col) = agent_cell(a);
    const BodyRules& body = rules_.bodies[agent.group];
    std::copy(body.initial_inventory.begin(), body.initial_inventory.end(), inventory_.begin() + a * num_res);
  }
}

void World::step() {
  if (observations_ == nullptr) throw std::logic_error("World.step: bind_buffers must be called first");
  if (episode_over()) throw std::logic_error("World.step: the episode is over (max_steps reached); call reset()");
  const int32_t num_actions_total = num_actions();
  for (int32_t a = 0; a < num_agents_; ++a) {
    if (actions_[a] < 0 || actions_[a] >= num_actions_total)
      throw std::invalid_argument("actions[" + std::to_string(a) + "]: must be in [0, " +
                              std::to_string(num_actions_total - 1) + "], got " + std::to_string(actions_[a]));
  }
  for (int32_t a = 0; a < num_agents_; ++a) rewards_[a] = 0.0f;

  rng_.shuffle(order_.data(), static_cast<uint32_t>(num_agents_));
  for (int32_t i = 0; i < num_agents_; ++i) apply_action(order_[i], actions_[order_[i]]);

  const int32_t num_res = num_resources();
  for (int32_t a = 0; a < num_agents_; ++a) {
    const BodyRules& body = rules_.bodies[agents_[a].group];
    int32_t& energy = inventory_[static_cast<size_t>(a) * num_res];
    energy = std::min(body.resource_caps[0], energy + body.energy_regen);
    stat(a, stat_reward_) += rewards_[a];
  }
  ++step_;
  const bool truncated = episode_over();
  for (int32_t a = 0; a < num_agents_; ++a) truncations_[a] = truncated;
  write_observations();
}

void World::apply_action(int32_t agent_id, int32_t action_index) {
  Agent& agent = agents_[agent_id];
  const ActionKind kind = rules_.actions[action_index];
  const BodyRules& body = rules_.bodies[agent.group];
  int32_t* inventory = inventory_.data() + static_cast<size_t>(agent_id) * num_resources();
  agent.last_action = action_index;
  agent.last_action_succeeded = false;
  stat(agent_id, stat_first_action_ + action_index) += 1.0;

  const int32_t cost = body.action_costs[static_cast<int32_t>(kind)];
  bool succeeded = false;
  if (inventory[0] >= cost) {  // without enough energy the action does nothing and costs nothing
    inventory[0] -= cost;
    stat(agent_id, stat_energy_spent_) += cost;
    if (kind == ActionKind::kNoop) {
      succeeded = true;
    } else if (is_move(kind)) {
      agent.orientation = move_direction(kind);
      const int32_t row = agent.row + kRowStep[static_cast<int>(agent.orientation)];
      const int32_t col = agent.col + kColStep[static_cast<int>(agent.orientation)];
      if (grid_.at(row, col) == kEmptyCell) {  // padding holds kOutsideCell, so the map edge blocks too
        grid_.at(agent.row, agent.col) = kEmptyCell;
        grid_.at(row, col) = agent_cell(agent_id);
        agent.row = row;
        agent.col = col;
        succeeded = true;
      }
    } else if (kind == ActionKind::kUse) {
      const int32_t row = agent.row + kRowStep[static_cast<int>(agent.orientation)];
      const int32_t col = agent.col + kColStep[static_cast<int>(agent.orientation)];
      const int32_t object = static_cast<int32_t>(grid_.at(row, col)) - kFirstObjectCell - num_agents_;
      if (object >= 0) succeeded = use_converter(agent_id, converters_[object]);
    }
  }
  agent.last_action_succeeded = succeeded;
  if (!succeeded) stat(agent_id, stat_first_action_failed_ + action_index) += 1.0;
}

bool World::use_converter(int32_t agent_id, Converter& converter) {
  const ConverterRules& kind = rules_.converters[converter.kind];
  if (step_ < converter.ready_step) return false;
  if (kind.max_uses > 0 && converter.uses >= kind.max_uses) return false;
  const int32_t num_res = num_resources();
  const BodyRules& body = rules_.bodies[agents_[agent_id].group];
  int32_t* inventory = inventory_.data() + static_cast<size_t>(agent_id) * num_res;
  // All or nothing: the user must hold every input and have room for every output.
  for (int32_t r = 0; r < num_res; ++r) {
    if (inventory[r] < kind.inputs[r]) return false;
    if (inventory[r] - kind.inputs[r] + kind.outputs[r] > body.resource_caps[r]) return false;
  }
  for (int32_t r = 0; r < num_res; ++r) {
    inventory[r] += kind.outputs[r] - kind.inputs[r];
    stat(agent_id, stat_first_consumed_ + r) += kind.inputs[r];
    stat(agent_id, stat_first_gained_ + r) += kind.outputs[r];
    rewards_[agent_id] += static_cast<float>(kind.outputs[r]) * rules_.resource_rewards[r];
  }
  stat(agent_id, stat_first_converter_used_ + converter.kind) += 1.0;
  ++converter.uses;
  converter.ready_step = step_ + 1 + kind.cooldown;
  return true;
}

void World::write_observations() {
  const size_t per_agent = static_cast<size_t>(num_channels()) * rules_.obs_height * rules_.obs_width;
  for (int32_t a = 0; a < num_agents_; ++a) write_observation(a, observations_ + a * per_agent);
}

void World::write_observation(int32_t agent_id, uint8_t* out) const {
  // Channel layout: see observations.hpp.
  const int32_t height = rules_.obs_height, width = rules_.obs_width;
  const int32_t plane = height * width;
  const int32_t num_kinds = static_cast<int32_t>(rules_.converters.size());
  std::memset(out, 0, static_cast<size_t>(num_channels()) * plane);
  const Agent& self = agents_[agent_id];
  const int32_t top = self.row - height / 2, left = self.col - width / 2;
  for (int32_t dr = 0; dr < height; ++dr) {
    const Cell* row = grid_.pointer(top + dr, left);
    uint8_t* out_row = out + dr * width;
    for (int32_t dc = 0; dc < width; ++dc) {
      const Cell cell = row[dc];
      if (cell == kEmptyCell) continue;
      uint8_t* at = out_row + dc;
      if (cell < kFirstObjectCell) {
        at[kWallChannel * plane] = 1;
        continue;
      }
      const int32_t object = cell - kFirstObjectCell;
      if (object < num_agents_) {
        const Agent& other = agents_[object];
        at[kAgentChannel * plane] = 1;
        at[kAgentGroupChannel * plane] = static_cast<uint8_t>(other.group + 1);
        at[kAgentOrientationChannel * plane] = static_cast<uint8_t>(static_cast<int>(other.orientation) + 1);
      } else {
        const Converter& converter = converters_[object - num_agents_];
        const ConverterRules& kind = rules_.converters[converter.kind];
        const int32_t wait = std::min(255, std::max(0, converter.ready_step - step_));
        const bool used_up = kind.max_uses > 0 && converter.uses >= kind.max_uses;
        at[kConverterCooldownChannel * plane] = static_cast<uint8_t>(wait);
        at[(kFirstConverterChannel + converter.kind) * plane] = (wait == 0 && !used_up) ? 1 : 2;
      }
    }
  }
  uint8_t* self_plane = out + self_channel(num_kinds) * plane;
  const int32_t num_res = num_resources();
  const int32_t* inventory = inventory_.data() + static_cast<size_t>(agent_id) * num_res;
  for (int32_t r = 0; r < num_res; ++r) self_plane[r] = static_cast<uint8_t>(inventory[r]);  // caps are <= 255
  self_plane[num_res] = static_cast<uint8_t>(static_cast<int>(self.orientation) + 1);
  self_plane[num_res + 1] = static_cast<uint8_t>(self.group + 1);
  self_plane[num_res + 2] = static_cast<uint8_t>((static_cast<int64_t>(step_) * 255) / rules_.max_steps);
  self_plane[num_res + 3] = static_cast<uint8_t>(self.last_action + 1);
  self_plane[num_res + 4] = self.last_action_succeeded ? 1 : 0;
}

std::vector<std::string> World::channel_names() const {
  std::vector<std::string> names = {"wall", "agent", "agent_group", "agent_orientation", "converter_cooldown"};
  for (const auto& converter : rules_.converters) names.push_back("converter_" + converter.name);
  names.push_back("self");
  return names;
}

std::vector<std::string> World::self_feature_names() const {
  std::vector<std::string> names;
  for (const auto& resource : rules_.resources) names.push_back("inventory_" + resource);
  for (const char* name : {"orientation", "group", "episode_progress", "last_action", "last_action_succeeded"})
    names.push_back(name);
  return names;
}

void World::fill_observation_high(uint8_t* out) const {
  const int32_t plane = rules_.obs_height * rules_.obs_width;
  const int32_t num_kinds = static_cast<int32_t>(rules_.converters.size());
  int32_t max_cooldown = 0;
  for (const auto& converter : rules_.converters) max_cooldown = std::max(max_cooldown, converter.cooldown);
  const uint8_t plane_high[kFirstConverterChannel] = {
      1, 1, static_cast<uint8_t>(rules_.bodies.size()), 4, static_cast<uint8_t>(std::min(255, max_cooldown))};
  for (int32_t channel = 0; channel < kFirstConverterChannel; ++channel)
    std::memset(out + channel * plane, plane_high[channel], plane);
  for (int32_t k = 0; k < num_kinds; ++k) std::memset(out + (kFirstConverterChannel + k) * plane, 2, plane);
  uint8_t* self_plane = out + self_channel(num_kinds) * plane;
  std::memset(self_plane, 0, plane);
  const int32_t num_res = num_resources();
  for (int32_t r = 0; r < num_res; ++r) {
    int32_t cap = 0;
    for (const auto& body : rules_.bodies) cap = std::max(cap, body.resource_caps[r]);
    self_plane[r] = static_cast<uint8_t>(cap);
  }
  self_plane[num_res] = 4;
  self_plane[num_res + 1] = static_cast<uint8_t>(rules_.bodies.size());
  self_plane[num_res + 2] = 255;
  self_plane[num_res + 3] = static_cast<uint8_t>(std::min(255, num_actions()));
  self_plane[num_res + 4] = 1;
}

void World::fill_tiles(uint8_t* out) const {
  const int32_t height = grid_.height(), width = grid_.width();
  for (int32_t r = 0; r < height; ++r) {
    for (int32_t c = 0; c < width; ++c) {
      const Cell cell = grid_.at(r, c);
      uint8_t tile = 0;
      if (cell == kWallCell || cell == kOutsideCell) {
        tile = 1;
      } else if (cell >= kFirstObjectCell) {
        const int32_t object = cell - kFirstObjectCell;
        tile = object < num_agents_ ? 2 : static_cast<uint8_t>(3 + converters_[object - num_agents_].kind);
      }
      out[static_cast<size_t>(r) * width + c] = tile;
    }
  }
}

size_t World::memory_bytes() const {
  return static_cast<size_t>(grid_.stride()) * (grid_.height() + (grid_.stride() - grid_.width())) * sizeof(Cell) +
         agents_.capacity() * sizeof(Agent) + converters_.capacity() * sizeof(Converter) +
         inventory_.capacity() * sizeof(int32_t) + order_.capacity() * sizeof(int32_t) +
         stats_.capacity() * sizeof(double) + layout_.tiles.capacity() + layout_.scratch.capacity() * sizeof(int32_t) +
         (layout_.agent_rows.capacity() + layout_.agent_cols.capacity()) * sizeof(int32_t) + sizeof(World);
}

}  // namespace gridenv
