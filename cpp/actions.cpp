// The action rules: what each action does to the world (World's member functions; the step loop is in world.cpp).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "observations.hpp"
#include "world.hpp"

namespace gridenv {

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
  stat(agent_id, stat_.first_action + action_index) += 1.0;

  const int32_t cost = body.action_costs[static_cast<int32_t>(spec.kind)];
  // A frozen agent, or one without enough energy, does nothing and pays nothing.
  const bool frozen = step_ < agent.frozen_until;
  if (frozen) stat(agent_id, stat_.frozen_steps) += 1.0;
  const bool can_act = !frozen && inventory[0] >= cost;
  bool succeeded = false;
  if (can_act) {
    inventory[0] -= cost;
    stat(agent_id, stat_.energy_spent) += cost;
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
        stat(agent_id, stat_.markers_dropped) += 1.0;
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
          stat(agent_id, stat_.walls_destroyed) += 1.0;
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
  if (!succeeded) stat(agent_id, stat_.first_action_failed + action_index) += 1.0;
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
    // Partners whose inventory changed since they joined (they were robbed or gave something away) no longer
    // qualify: they leave the group, and this user joins what is left.
    int32_t kept = 0;
    for (int32_t i = 0; i < converter.pending_count; ++i)
      if (can_convert(converter.pending[i])) converter.pending[kept++] = converter.pending[i];
    converter.pending[kept++] = agent_id;
    converter.pending_count = kept;
    if (converter.pending_count < recipe.users_required) return true;  // joined; waits for partners this step
  } else {
    converter.pending[0] = agent_id;
    converter.pending_count = 1;
  }
  for (int32_t i = 0; i < converter.pending_count; ++i) {
    const int32_t user = converter.pending[i];
    int32_t* inventory = inventory_.data() + static_cast<size_t>(user) * num_res;
    for (int32_t r = 0; r < num_res; ++r) {
      inventory[r] += recipe.outputs[r] - recipe.inputs[r];
      stat(user, stat_.first_consumed + r) += recipe.inputs[r];
      stat(user, stat_.first_gained + r) += recipe.outputs[r];
      raw_rewards_[user] += static_cast<float>(recipe.outputs[r]) * rules_.resource_rewards[r];
    }
    stat(user, stat_.first_converter_used + converter.kind) += 1.0;
    if (converter.pending_count > 1) {
      stat(user, stat_.joint_uses) += 1.0;
      bool all_kin = true;
      for (int32_t j = 0; j < converter.pending_count; ++j)
        if (j != i && !(kinship_.weight(user, converter.pending[j]) > 0.0f)) all_kin = false;
      if (all_kin) stat(user, stat_.joint_uses_kin) += 1.0;
    }
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
    stat(attacker_id, stat_.attack_blocked) += 1.0;
    stat(target_id, stat_.shield_absorbed) += drained;
    return true;
  }
  target.frozen_until = step_ + 1 + rules_.combat.freeze_steps;
  const bool kin = kinship_.weight(attacker_id, target_id) > 0.0f;
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
    stat(attacker_id, stat_.first_stolen + r) += amount;
    if (kin) stat(attacker_id, stat_.stolen_kin) += amount;
    stat(target_id, stat_.first_lost_to_theft + r) += amount;
  }
  stat(attacker_id, stat_.attack_hits) += 1.0;
  if (kin) stat(attacker_id, stat_.attack_hits_kin) += 1.0;
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
  stat(giver_id, stat_.share_given) += amount;
  if (kinship_.weight(giver_id, receiver_id) > 0.0f) stat(giver_id, stat_.share_given_kin) += amount;
  stat(receiver_id, stat_.share_received) += amount;
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
    stat(builder_id, stat_.first_consumed + r) += rules_.build.cost[r];
  }
  grid_.set(row, col, kWallCell);
  ++builder.walls_built;
  stat(builder_id, stat_.walls_built) += 1.0;
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
  stat(agent_id, stat_.energy_spent) += cost;
  stat(partner_id, stat_.energy_spent) += cost;
  kinship_.bond(agent_id, partner_id);
  agent.bond_target = partner.bond_target = -1;
  stat(agent_id, stat_.bonds_formed) += 1.0;
  stat(partner_id, stat_.bonds_formed) += 1.0;
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

}  // namespace gridenv
