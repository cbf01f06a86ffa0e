#include "world.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "observations.hpp"

namespace gridenv {
namespace {

std::string action_name(const ActionSpec& spec) {
  std::string name(kActionNames[static_cast<int>(spec.kind)]);
  if (spec.kind == ActionKind::kGlyph || spec.kind == ActionKind::kMarker) name += "_" + std::to_string(spec.arg);
  return name;
}

}  // namespace

World::World(GameRules rules) : rules_(std::move(rules)) {
  validate_rules(rules_);
  const bool fixed_map = rules_.map.generator == MapGenerator::kAscii;
  if (fixed_map) generate_map(rules_, rng_, layout_);  // a fixed map is parsed once
  num_agents_ = 0;
  for (int32_t count : count_agents_per_group(rules_)) num_agents_ += count;
  if (num_agents_ < 1) throw std::invalid_argument("map: at least one agent is required, the map has none");
  if (num_agents_ > 4096) throw std::invalid_argument("map: at most 4096 agents, got " + std::to_string(num_agents_));

  const int32_t padding = std::max(rules_.obs_height, rules_.obs_width) / 2;
  const auto [map_height, map_width] = map_size(rules_.map);
  grid_.resize(map_height, map_width, padding);
  agents_.resize(num_agents_);
  // Groups are fixed by the rules (random maps number agents group by group), so they are known before any reset.
  groups_.resize(num_agents_);
  if (fixed_map) {
    groups_ = layout_.agent_groups;
  } else {
    int32_t next = 0;
    for (size_t g = 0; g < rules_.agents_per_group.size(); ++g)
      for (int32_t i = 0; i < rules_.agents_per_group[g]; ++i) groups_[next++] = static_cast<uint8_t>(g);
  }
  recipe_of_kind_.resize(rules_.converters.size());
  for (size_t k = 0; k < recipe_of_kind_.size(); ++k) recipe_of_kind_[k] = static_cast<int32_t>(k);
  for (int32_t a = 0; a < num_agents_; ++a) agents_[a].group = agents_[a].body = groups_[a];
  inventory_.assign(static_cast<size_t>(num_agents_) * num_resources(), 0);
  order_.resize(num_agents_);
  raw_rewards_.assign(num_agents_, 0.0f);
  kinship_.configure(rules_.kinship, num_agents_);

  auto add_stat = [this](const std::string& name) {
    stat_names_.push_back(name);
    return static_cast<int32_t>(stat_names_.size() - 1);
  };
  stat_first_gained_ = static_cast<int32_t>(stat_names_.size());
  for (const auto& resource : rules_.resources) add_stat(resource + ".gained");
  stat_first_consumed_ = static_cast<int32_t>(stat_names_.size());
  for (const auto& resource : rules_.resources) add_stat(resource + ".consumed");
  stat_first_stolen_ = static_cast<int32_t>(stat_names_.size());
  for (const auto& resource : rules_.resources) add_stat(resource + ".stolen");
  stat_first_lost_to_theft_ = static_cast<int32_t>(stat_names_.size());
  for (const auto& resource : rules_.resources) add_stat(resource + ".lost_to_theft");
  stat_energy_spent_ = add_stat("energy.spent");
  stat_reward_ = add_stat("reward");
  stat_raw_reward_ = add_stat("reward.raw");
  stat_shared_given_ = add_stat("share.given");
  stat_shared_received_ = add_stat("share.received");
  stat_attack_hits_ = add_stat("attack.hits");
  stat_attack_blocked_ = add_stat("attack.blocked");
  stat_frozen_steps_ = add_stat("frozen.steps");
  stat_shield_steps_ = add_stat("shield.steps");
  stat_walls_built_ = add_stat("walls.built");
  stat_walls_destroyed_ = add_stat("walls.destroyed");
  stat_bonds_formed_ = add_stat("bonds.formed");
  stat_markers_dropped_ = add_stat("markers.dropped");
  stat_first_action_ = static_cast<int32_t>(stat_names_.size());
  for (const ActionSpec& spec : rules_.actions) add_stat("action." + action_name(spec));
  stat_first_action_failed_ = static_cast<int32_t>(stat_names_.size());
  for (const ActionSpec& spec : rules_.actions) add_stat("action." + action_name(spec) + ".failed");
  stat_first_converter_used_ = static_cast<int32_t>(stat_names_.size());
  for (const auto& converter : rules_.converters) add_stat(converter.name + ".used");
  stats_.assign(static_cast<size_t>(num_agents_) * stat_names_.size(), 0.0);
}

int32_t World::num_channels() const { return gridenv::num_channels(static_cast<int32_t>(rules_.converters.size())); }

std::vector<std::string> World::action_names() const {
  std::vector<std::string> names;
  for (const ActionSpec& spec : rules_.actions) names.push_back(action_name(spec));
  return names;
}

void World::bind_buffers(uint8_t* observations, const int32_t* actions, float* rewards, bool* terminals,
                         bool* truncations) {
  observations_ = observations;
  actions_ = actions;
  rewards_ = rewards;
  terminals_ = terminals;
  truncations_ = truncations;
}

void World::reset(uint64_t seed, bool clear_step_outputs) {
  if (observations_ == nullptr) throw std::logic_error("World.reset: bind_buffers must be called first");
  ready_ = false;  // until this reset completes: a map that cannot be generated leaves the world unsteppable
  rng_.reseed(seed);
  if (rules_.map.generator != MapGenerator::kAscii) generate_map(rules_, rng_, layout_);
  build_from_layout();
  if (rules_.shuffle_recipes) {
    for (size_t k = 0; k < recipe_of_kind_.size(); ++k) recipe_of_kind_[k] = static_cast<int32_t>(k);
    rng_.shuffle(recipe_of_kind_.data(), static_cast<uint32_t>(recipe_of_kind_.size()));
  }
  kinship_.reset(groups_, rng_);
  step_ = 0;
  num_terminated_ = 0;
  std::fill(stats_.begin(), stats_.end(), 0.0);
  for (int32_t a = 0; a < num_agents_; ++a) {
    if (clear_step_outputs) {
      rewards_[a] = 0.0f;
      terminals_[a] = false;
      truncations_[a] = false;
    }
    raw_rewards_[a] = 0.0f;
    order_[a] = a;
  }
  write_observations();
  ready_ = true;
}

void World::build_from_layout() {
  const int32_t height = layout_.height, width = layout_.width;
  converters_.clear();
  grid_.clear_markers();
  for (int32_t r = 0; r < height; ++r) {
    for (int32_t c = 0; c < width; ++c) {
      const uint8_t tile = layout_.tiles[static_cast<size_t>(r) * width + c];
      if (tile == kTileEmpty) {
        grid_.set(r, c, kEmptyCell);
      } else if (tile == kTileWall) {
        grid_.set(r, c, kWallCell);
      } else {
        Converter converter;
        converter.row = r;
        converter.col = c;
        converter.kind = static_cast<uint16_t>(tile - kTileFirstConverter);
        converters_.push_back(converter);
        grid_.set(r, c, kEmptyCell);  // set below, once the id is known
      }
    }
  }
  if (num_agents_ + static_cast<int32_t>(converters_.size()) > kMaxObjects)
    throw std::invalid_argument("map: too many objects (" + std::to_string(converters_.size()) + " converters)");
  for (size_t i = 0; i < converters_.size(); ++i)
    grid_.set(converters_[i].row, converters_[i].col, converter_cell(num_agents_, static_cast<int32_t>(i)));
  const int32_t num_res = num_resources();
  for (int32_t a = 0; a < num_agents_; ++a) {
    Agent& agent = agents_[a];
    agent = Agent{};
    agent.row = layout_.agent_rows[a];
    agent.col = layout_.agent_cols[a];
    agent.group = agent.body = groups_[a];
    grid_.set(agent.row, agent.col, agent_cell(a));
    const BodyRules& body = rules_.bodies[agent.body];
    std::copy(body.initial_inventory.begin(), body.initial_inventory.end(), inventory_.begin() + a * num_res);
  }
}

void World::check_actions() const {
  const int32_t num_actions_total = num_actions();
  for (int32_t a = 0; a < num_agents_; ++a) {
    if (actions_[a] < 0 || actions_[a] >= num_actions_total)
      throw std::invalid_argument("actions[" + std::to_string(a) + "]: must be in [0, " +
                                  std::to_string(num_actions_total - 1) + "], got " + std::to_string(actions_[a]));
  }
}

void World::fill_action_mask(uint8_t* out) const {
  const int32_t num_actions_total = num_actions(), num_res = num_resources();
  for (int32_t a = 0; a < num_agents_; ++a) {
    const Agent& agent = agents_[a];
    const bool can_act = !agent.terminated && step_ >= agent.frozen_until;
    const int32_t energy = inventory_[static_cast<size_t>(a) * num_res];
    const BodyRules& body = rules_.bodies[agent.body];
    for (int32_t i = 0; i < num_actions_total; ++i) {
      const int32_t cost = body.action_costs[static_cast<int32_t>(rules_.actions[i].kind)];
      out[static_cast<size_t>(a) * num_actions_total + i] = can_act && energy >= cost ? 1 : 0;
    }
  }
}

void World::step() {
  if (observations_ == nullptr) throw std::logic_error("World.step: bind_buffers must be called first");
  if (!ready_) throw std::logic_error("World.step: the world has not been reset (or its last reset failed); call reset()");
  if (episode_over()) throw std::logic_error("World.step: the episode is over (max_steps reached); call reset()");
  check_actions();
  std::fill(raw_rewards_.begin(), raw_rewards_.end(), 0.0f);

  rng_.shuffle(order_.data(), static_cast<uint32_t>(num_agents_));
  for (int32_t i = 0; i < num_agents_; ++i) apply_action(order_[i], actions_[order_[i]]);
  end_of_step_upkeep();
  if (rules_.goal_resource >= 0) {
    for (int32_t a = 0; a < num_agents_; ++a) {
      Agent& agent = agents_[a];
      if (agent.terminated ||
          inventory_[static_cast<size_t>(a) * num_resources() + rules_.goal_resource] < rules_.goal_amount)
        continue;
      agent.terminated = true;
      grid_.set(agent.row, agent.col, kEmptyCell);
      ++num_terminated_;
    }
  }

  if (rules_.kinship.scheme == KinshipScheme::kSelfish && rules_.kinship.normalize_rows) {
    std::copy(raw_rewards_.begin(), raw_rewards_.end(), rewards_);  // K = w I, normalised: r' = r exactly
  } else {
    kinship_.share(raw_rewards_.data(), rewards_);
  }
  for (int32_t a = 0; a < num_agents_; ++a) {
    stat(a, stat_reward_) += rewards_[a];
    stat(a, stat_raw_reward_) += raw_rewards_[a];
  }
  ++step_;
  grid_.expire_markers(step_);
  const bool time_up = step_ >= rules_.max_steps;
  for (int32_t a = 0; a < num_agents_; ++a) {
    terminals_[a] = agents_[a].terminated;
    truncations_[a] = time_up && !agents_[a].terminated;
  }
  write_observations();
}

void World::end_of_step_upkeep() {
  const int32_t num_res = num_resources();
  for (int32_t a = 0; a < num_agents_; ++a) {
    Agent& agent = agents_[a];
    if (agent.terminated) continue;
    const BodyRules& body = rules_.bodies[agent.body];
    int32_t& energy = inventory_[static_cast<size_t>(a) * num_res];
    if (agent.shield) {  // upkeep first: a shield that cannot be paid for drops
      if (energy >= rules_.shield.upkeep) {
        energy -= rules_.shield.upkeep;
        stat(a, stat_energy_spent_) += rules_.shield.upkeep;
        stat(a, stat_shield_steps_) += 1.0;
      } else {
        agent.shield = false;
      }
    }
    energy = std::min(body.resource_caps[0], energy + body.energy_regen);
  }
}

int32_t World::faced_agent(const Agent& agent) const {
  const int32_t row = agent.row + kRowStep[static_cast<int>(agent.orientation)];
  const int32_t col = agent.col + kColStep[static_cast<int>(agent.orientation)];
  const int32_t object = static_cast<int32_t>(grid_.at(row, col)) - kFirstObjectCell;
  return object >= 0 && object < num_agents_ ? object : -1;
}

void World::apply_action(int32_t agent_id, int32_t action_index) {
  Agent& agent = agents_[agent_id];
  if (agent.terminated) return;  // its action is ignored
  const ActionSpec spec = rules_.actions[action_index];
  const BodyRules& body = rules_.bodies[agent.body];
  int32_t* inventory = inventory_.data() + static_cast<size_t>(agent_id) * num_resources();
  agent.last_action = action_index;
  agent.last_action_succeeded = false;
  stat(agent_id, stat_first_action_ + action_index) += 1.0;

  const int32_t cost = body.action_costs[static_cast<int32_t>(spec.kind)];
  // A frozen agent, or one without enough energy, does nothing and pays nothing.
  const bool frozen = step_ < agent.frozen_until;
  if (frozen) stat(agent_id, stat_frozen_steps_) += 1.0;
  const bool can_act = !frozen && inventory[0] >= cost;
  bool succeeded = false;
  if (can_act) {
    inventory[0] -= cost;
    stat(agent_id, stat_energy_spent_) += cost;
    const int32_t front_row = agent.row + kRowStep[static_cast<int>(agent.orientation)];
    const int32_t front_col = agent.col + kColStep[static_cast<int>(agent.orientation)];
    switch (spec.kind) {
      case ActionKind::kNoop:
        succeeded = true;
        break;
      case ActionKind::kMoveNorth:
      case ActionKind::kMoveSouth:
      case ActionKind::kMoveWest:
      case ActionKind::kMoveEast: {
        agent.orientation = move_direction(spec.kind);
        const int32_t row = agent.row + kRowStep[static_cast<int>(agent.orientation)];
        const int32_t col = agent.col + kColStep[static_cast<int>(agent.orientation)];
        if (grid_.at(row, col) == kEmptyCell) {  // padding holds kOutsideCell, so the map edge blocks too
          grid_.set(agent.row, agent.col, kEmptyCell);
          grid_.set(row, col, agent_cell(agent_id));
          agent.row = row;
          agent.col = col;
          succeeded = true;
        }
        break;
      }
      case ActionKind::kUse: {
        const int32_t object = static_cast<int32_t>(grid_.at(front_row, front_col)) - kFirstObjectCell - num_agents_;
        if (object >= 0) succeeded = use_converter(agent_id, converters_[object]);
        break;
      }
      case ActionKind::kAttack: {
        const int32_t target = faced_agent(agent);
        if (target >= 0) succeeded = attack(agent_id, target);
        break;
      }
      case ActionKind::kToggleShield:
        agent.shield = !agent.shield;
        succeeded = true;
        break;
      case ActionKind::kShare: {
        const int32_t receiver = faced_agent(agent);
        if (receiver >= 0) succeeded = share(agent_id, receiver);
        break;
      }
      case ActionKind::kGlyph:
        agent.glyph = static_cast<uint8_t>(spec.arg + 1);
        succeeded = true;
        break;
      case ActionKind::kMarker:
        grid_.drop_marker(agent.row, agent.col, static_cast<uint8_t>(spec.arg + 1),
                          step_ + 1 + rules_.marker_duration);
        stat(agent_id, stat_markers_dropped_) += 1.0;
        succeeded = true;
        break;
      case ActionKind::kBuild:
        succeeded = build(agent_id, front_row, front_col);
        break;
      case ActionKind::kDestroy:
        if (grid_.at(front_row, front_col) == kWallCell && !grid_.on_edge(front_row, front_col) &&
            (rules_.build.max_destroys_per_agent == 0 ||
             agent.walls_destroyed < rules_.build.max_destroys_per_agent)) {
          grid_.set(front_row, front_col, kEmptyCell);
          ++agent.walls_destroyed;
          stat(agent_id, stat_walls_destroyed_) += 1.0;
          succeeded = true;
        }
        break;
      case ActionKind::kBond: {
        const int32_t partner = faced_agent(agent);
        if (partner >= 0) succeeded = bond(agent_id, partner);
        break;
      }
      case ActionKind::kSwitchBody:
        succeeded = switch_body(agent_id);
        break;
      case ActionKind::kCount:
        break;
    }
  }
  agent.last_action_succeeded = succeeded;
  if (!succeeded) stat(agent_id, stat_first_action_failed_ + action_index) += 1.0;
}

bool World::use_converter(int32_t agent_id, Converter& converter) {
  const ConverterRules& recipe = rules_.converters[recipe_of_kind_[converter.kind]];
  if (step_ < converter.ready_step) return false;
  if (recipe.max_uses > 0 && converter.uses >= recipe.max_uses) return false;
  const int32_t num_res = num_resources();
  // All or nothing: each user must hold every input and have room for every output.
  auto can_convert = [&](int32_t user) {
    const BodyRules& body = rules_.bodies[agents_[user].body];
    const int32_t* inventory = inventory_.data() + static_cast<size_t>(user) * num_res;
    for (int32_t r = 0; r < num_res; ++r) {
      if (inventory[r] < recipe.inputs[r]) return false;
      if (inventory[r] - recipe.inputs[r] + recipe.outputs[r] > body.resource_caps[r]) return false;
    }
    return true;
  };
  if (!can_convert(agent_id)) return false;
  if (recipe.users_required > 1) {
    // Joint use: users gather during one step; the last one needed completes the conversion for all.
    if (converter.pending_step != step_) {
      converter.pending_step = step_;
      converter.pending_count = 0;
    }
    converter.pending[converter.pending_count++] = agent_id;
    if (converter.pending_count < recipe.users_required) return true;
    for (int32_t i = 0; i < converter.pending_count; ++i)
      if (!can_convert(converter.pending[i])) {  // a partner's inventory changed since it joined
        --converter.pending_count;
        return false;
      }
  } else {
    converter.pending[0] = agent_id;
    converter.pending_count = 1;
  }
  for (int32_t i = 0; i < converter.pending_count; ++i) {
    const int32_t user = converter.pending[i];
    int32_t* inventory = inventory_.data() + static_cast<size_t>(user) * num_res;
    for (int32_t r = 0; r < num_res; ++r) {
      inventory[r] += recipe.outputs[r] - recipe.inputs[r];
      stat(user, stat_first_consumed_ + r) += recipe.inputs[r];
      stat(user, stat_first_gained_ + r) += recipe.outputs[r];
      raw_rewards_[user] += static_cast<float>(recipe.outputs[r]) * rules_.resource_rewards[r];
    }
    stat(user, stat_first_converter_used_ + converter.kind) += 1.0;
  }
  converter.pending_count = 0;
  converter.pending_step = -1;
  ++converter.uses;
  converter.ready_step = step_ + 1 + recipe.cooldown;
  return true;
}

bool World::attack(int32_t attacker_id, int32_t target_id) {
  Agent& target = agents_[target_id];
  if (step_ < target.frozen_until) return false;  // no re-freezing (or robbing) an agent that cannot move
  const int32_t num_res = num_resources();
  int32_t* target_inventory = inventory_.data() + static_cast<size_t>(target_id) * num_res;
  if (target.shield) {
    // The shield absorbs the hit at the cost of the target's energy; unable to pay, it drops (still absorbing).
    const int32_t drained = std::min(target_inventory[0], rules_.shield.absorb_cost);
    if (drained < rules_.shield.absorb_cost) target.shield = false;
    target_inventory[0] -= drained;
    stat(attacker_id, stat_attack_blocked_) += 1.0;
    return true;
  }
  target.frozen_until = step_ + 1 + rules_.combat.freeze_steps;
  target.shield = false;
  int32_t* attacker_inventory = inventory_.data() + static_cast<size_t>(attacker_id) * num_res;
  const BodyRules& attacker_body = rules_.bodies[agents_[attacker_id].body];
  for (int32_t r = 0; r < num_res; ++r) {
    if (!rules_.combat.stealable[r]) continue;
    int32_t amount = static_cast<int32_t>(std::floor(target_inventory[r] * rules_.combat.steal_fraction));
    amount = std::min(amount, attacker_body.resource_caps[r] - attacker_inventory[r]);  // the rest stays
    if (amount <= 0) continue;
    target_inventory[r] -= amount;
    attacker_inventory[r] += amount;
    stat(attacker_id, stat_first_stolen_ + r) += amount;
    stat(target_id, stat_first_lost_to_theft_ + r) += amount;
  }
  stat(attacker_id, stat_attack_hits_) += 1.0;
  return true;
}

bool World::share(int32_t giver_id, int32_t receiver_id) {
  const int32_t r = rules_.share.resource, amount = rules_.share.amount;
  const int32_t num_res = num_resources();
  int32_t& given = inventory_[static_cast<size_t>(giver_id) * num_res + r];
  int32_t& received = inventory_[static_cast<size_t>(receiver_id) * num_res + r];
  const int32_t cap = rules_.bodies[agents_[receiver_id].body].resource_caps[r];
  if (given < amount || received + amount > cap) return false;  // all or nothing
  given -= amount;
  received += amount;
  stat(giver_id, stat_shared_given_) += amount;
  stat(receiver_id, stat_shared_received_) += amount;
  return true;
}

bool World::build(int32_t builder_id, int32_t row, int32_t col) {
  Agent& builder = agents_[builder_id];
  if (!grid_.inside(row, col) || grid_.at(row, col) != kEmptyCell) return false;
  if (rules_.build.max_walls_per_agent > 0 && builder.walls_built >= rules_.build.max_walls_per_agent) return false;
  const int32_t num_res = num_resources();
  int32_t* inventory = inventory_.data() + static_cast<size_t>(builder_id) * num_res;
  for (int32_t r = 0; r < num_res; ++r)
    if (inventory[r] < rules_.build.cost[r]) return false;
  for (int32_t r = 0; r < num_res; ++r) {
    inventory[r] -= rules_.build.cost[r];
    stat(builder_id, stat_first_consumed_ + r) += rules_.build.cost[r];
  }
  grid_.set(row, col, kWallCell);
  ++builder.walls_built;
  stat(builder_id, stat_walls_built_) += 1.0;
  return true;
}

bool World::bond(int32_t agent_id, int32_t partner_id) {
  Agent& agent = agents_[agent_id];
  Agent& partner = agents_[partner_id];
  if (kinship_.bonded(agent_id, partner_id)) return false;
  const bool partner_offered = partner.bond_target == agent_id && step_ - partner.bond_step <= rules_.kinship.bond_window;
  if (!partner_offered) {  // an offer: it stands for bond_window steps
    agent.bond_target = partner_id;
    agent.bond_step = step_;
    return true;
  }
  const int32_t num_res = num_resources();
  int32_t& energy = inventory_[static_cast<size_t>(agent_id) * num_res];
  int32_t& partner_energy = inventory_[static_cast<size_t>(partner_id) * num_res];
  const int32_t cost = rules_.kinship.bond_cost;
  if (energy < cost || partner_energy < cost) return false;
  energy -= cost;
  partner_energy -= cost;
  stat(agent_id, stat_energy_spent_) += cost;
  stat(partner_id, stat_energy_spent_) += cost;
  kinship_.bond(agent_id, partner_id);
  agent.bond_target = partner.bond_target = -1;
  stat(agent_id, stat_bonds_formed_) += 1.0;
  stat(partner_id, stat_bonds_formed_) += 1.0;
  return true;
}

bool World::switch_body(int32_t agent_id) {
  Agent& agent = agents_[agent_id];
  const int32_t posture = rules_.posture_body[agent.group];
  if (posture < 0) return false;
  const int32_t next = agent.body == agent.group ? posture : agent.group;
  const int32_t num_res = num_resources();
  const int32_t* inventory = inventory_.data() + static_cast<size_t>(agent_id) * num_res;
  for (int32_t r = 0; r < num_res; ++r)
    if (inventory[r] > rules_.bodies[next].resource_caps[r]) return false;  // never silently drop resources
  agent.body = static_cast<uint8_t>(next);
  return true;
}

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
          const int32_t wait = std::min(255, std::max(0, converter.ready_step - step));
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

std::vector<std::string> World::channel_names() const {
  std::vector<std::string> names = {"wall",         "agent",        "agent_group", "agent_orientation",
                                    "agent_kinship", "agent_frozen", "agent_shield", "agent_glyph",
                                    "marker",        "converter_cooldown"};
  for (const auto& converter : rules_.converters) names.push_back("converter_" + converter.name);
  names.push_back("self");
  return names;
}

std::vector<std::string> World::self_feature_names() const {
  std::vector<std::string> names;
  for (const auto& resource : rules_.resources) names.push_back("inventory_" + resource);
  for (const char* name : {"orientation", "group", "episode_progress", "last_action", "last_action_succeeded",
                           "frozen", "shield", "glyph", "posture"})
    names.push_back(name);
  return names;
}

void World::fill_observation_high(uint8_t* out) const {
  const int32_t plane = rules_.obs_height * rules_.obs_width;
  const int32_t num_kinds = static_cast<int32_t>(rules_.converters.size());
  int32_t max_cooldown = 0;
  for (const auto& converter : rules_.converters) max_cooldown = std::max(max_cooldown, converter.cooldown);
  const auto frozen_high = static_cast<uint8_t>(std::min(255, rules_.combat.freeze_steps));
  const uint8_t plane_high[kFirstConverterChannel] = {
      1, 1, static_cast<uint8_t>(rules_.num_groups()), 4, 255, frozen_high, 1,
      static_cast<uint8_t>(rules_.glyphs), static_cast<uint8_t>(rules_.markers),
      static_cast<uint8_t>(std::min(255, max_cooldown))};
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
  const uint8_t feature_high[kSelfFeaturesAfterInventory] = {
      4, static_cast<uint8_t>(rules_.num_groups()), 255, static_cast<uint8_t>(num_actions()), 1, frozen_high, 1,
      static_cast<uint8_t>(rules_.glyphs), 1};
  std::memcpy(self_plane + num_res, feature_high, kSelfFeaturesAfterInventory);
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
  const size_t n = static_cast<size_t>(num_agents_);
  return grid_.memory_bytes() + agents_.capacity() * sizeof(Agent) + converters_.capacity() * sizeof(Converter) +
         inventory_.capacity() * sizeof(int32_t) + order_.capacity() * sizeof(int32_t) +
         raw_rewards_.capacity() * sizeof(float) + stats_.capacity() * sizeof(double) + n * n * (sizeof(float) + 1) +
         n * sizeof(float) + layout_.tiles.capacity() + layout_.buffer.capacity() +
         (layout_.cells.capacity() + layout_.stack.capacity() + layout_.parent.capacity()) * sizeof(int32_t) +
         (layout_.agent_rows.capacity() + layout_.agent_cols.capacity()) * sizeof(int32_t) + sizeof(World);
}

}  // namespace gridenv
