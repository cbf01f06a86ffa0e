#include "world.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "observations.hpp"

namespace gridenv {
World::World(std::shared_ptr<const Game> game)
    : game_(std::move(game)), rules_(game_->rules()), stat_(game_->stats()), num_agents_(game_->num_agents()),
      num_stats_(stat_.names.size()) {
  const int32_t padding = std::max(rules_.obs_height, rules_.obs_width) / 2;
  grid_.resize(game_->map_height(), game_->map_width(), padding);
  agents_.resize(num_agents_);
  recipe_of_kind_.resize(rules_.converters.size());
  for (size_t k = 0; k < recipe_of_kind_.size(); ++k) recipe_of_kind_[k] = static_cast<int32_t>(k);
  for (int32_t a = 0; a < num_agents_; ++a) agents_[a].group = agents_[a].body = game_->agent_groups()[a];
  inventory_.assign(static_cast<size_t>(num_agents_) * num_resources(), 0);
  order_.resize(num_agents_);
  raw_rewards_.assign(num_agents_, 0.0f);
  kinship_.configure(rules_.kinship, num_agents_);
  stats_.assign(static_cast<size_t>(num_agents_) * num_stats_, 0.0);
}

void World::bind_buffers(uint8_t* observations, const int32_t* actions, float* rewards, bool* terminals,
                         bool* truncations) {
  ExclusiveUse exclusive(busy_, "World.bind_buffers");
  actions_now_.assign(static_cast<size_t>(num_agents_), 0);
  observations_ = observations;
  actions_ = actions;
  rewards_ = rewards;
  terminals_ = terminals;
  truncations_ = truncations;
}

void World::reset(uint64_t seed, bool clear_step_outputs) {
  ExclusiveUse exclusive(busy_, "World.reset");
  reset_unguarded(seed, clear_step_outputs);
}

void World::reset_next(bool clear_step_outputs) {
  ExclusiveUse exclusive(busy_, "World.reset_next");  // before the draw: the RNG is the world's state too
  reset_unguarded(rng_.next(), clear_step_outputs);
}

void World::reset_unguarded(uint64_t seed, bool clear_step_outputs) {
  if (observations_ == nullptr) throw std::logic_error("World.reset: bind_buffers must be called first");
  ready_ = false;  // until this reset completes: a map that cannot be generated leaves the world unsteppable
  rng_.reseed(seed);
  if (rules_.map.generator != MapGenerator::kAscii) generate_map(rules_, rng_, layout_);  // ASCII: the game's
  build_from_layout();
  if (rules_.shuffle_recipes && !rules_.recipe_pool.empty()) {
    const auto& drawn = rules_.recipe_pool[rng_.below(static_cast<uint32_t>(rules_.recipe_pool.size()))];
    std::copy(drawn.begin(), drawn.end(), recipe_of_kind_.begin());
  } else if (rules_.shuffle_recipes) {
    for (size_t k = 0; k < recipe_of_kind_.size(); ++k) recipe_of_kind_[k] = static_cast<int32_t>(k);
    rng_.shuffle(recipe_of_kind_.data(), static_cast<uint32_t>(recipe_of_kind_.size()));
  }
  kinship_.reset(game_->agent_groups(), rng_);
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
  // An ASCII map is parsed once, by the game; every other map was just drawn into this world's own layout.
  const Layout& layout = rules_.map.generator == MapGenerator::kAscii ? game_->fixed_layout() : layout_;
  const int32_t height = layout.height, width = layout.width;
  converters_.clear();
  grid_.clear_markers();
  for (int32_t r = 0; r < height; ++r) {
    for (int32_t c = 0; c < width; ++c) {
      const uint8_t tile = layout.tiles[static_cast<size_t>(r) * width + c];
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
    agent.row = layout.agent_rows[a];
    agent.col = layout.agent_cols[a];
    agent.group = agent.body = game_->agent_groups()[a];
    grid_.set(agent.row, agent.col, agent_cell(a));
    const BodyRules& body = rules_.bodies[agent.body];
    std::copy(body.initial_inventory.begin(), body.initial_inventory.end(), inventory_.begin() + a * num_res);
  }
}

namespace {
void require_action_in_range(int32_t agent, int32_t action, int32_t num_actions) {
  if (action < 0 || action >= num_actions)
    throw std::invalid_argument("actions[" + std::to_string(agent) + "]: must be in [0, " +
                                std::to_string(num_actions - 1) + "], got " + std::to_string(action));
}
}  // namespace

void World::load_actions() {
  for (int32_t a = 0; a < num_agents_; ++a) {
    actions_now_[a] = actions_[a];
    require_action_in_range(a, actions_now_[a], num_actions());
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
  ExclusiveUse exclusive(busy_, "World.step");
  if (observations_ == nullptr) throw std::logic_error("World.step: bind_buffers must be called first");
  if (!ready_) throw std::logic_error("World.step: the world has not been reset (or its last reset failed); call reset()");
  if (episode_over()) throw std::logic_error("World.step: the episode is over (max_steps reached); call reset()");
  load_actions();
  std::fill(raw_rewards_.begin(), raw_rewards_.end(), 0.0f);

  rng_.shuffle(order_.data(), static_cast<uint32_t>(num_agents_));
  for (int32_t i = 0; i < num_agents_; ++i) apply_action(order_[i], actions_now_[order_[i]]);
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

  if (kinship_.diagonal() && rules_.kinship.normalize_rows) {
    // K = w I (selfish, or no bond yet), normalised: r' = r exactly. A bond makes K non-diagonal under any scheme.
    std::copy(raw_rewards_.begin(), raw_rewards_.end(), rewards_);
  } else {
    kinship_.mix(raw_rewards_.data(), rewards_);
  }
  for (int32_t a = 0; a < num_agents_; ++a) {
    stat(a, stat_.reward) += rewards_[a];
    stat(a, stat_.raw_reward) += raw_rewards_[a];
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
        stat(a, stat_.energy_spent) += rules_.shield.upkeep;
        stat(a, stat_.shield_steps) += 1.0;
      } else {
        agent.shield = false;
      }
    }
    energy = std::min(body.resource_caps[0], energy + body.energy_regen);
  }
}

void World::fill_map_codes(uint8_t* out) const {
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

void World::fill_agent_positions(int32_t* out) const {
  for (const Agent& agent : agents_) {
    *out++ = agent.row;
    *out++ = agent.col;
    *out++ = static_cast<int32_t>(agent.orientation);
  }
}

void World::fill_agent_states(int32_t* out) const {
  for (const Agent& agent : agents_) {
    *out++ = agent.body;
    *out++ = agent.glyph;
    *out++ = agent.shield ? 1 : 0;
    *out++ = std::max(0, agent.frozen_until - step_);
    *out++ = agent.walls_built;
  }
}

void World::fill_agents_on_grid(bool* out) const {
  for (const Agent& agent : agents_) *out++ = !agent.terminated;
}

void World::fill_converter_states(int32_t* out) const {
  for (const Converter& converter : converters_) {
    *out++ = converter.row;
    *out++ = converter.col;
    *out++ = converter.kind;
    *out++ = static_cast<int32_t>(std::max<int64_t>(0, int64_t{converter.ready_step} - step_));
    *out++ = converter.uses;
  }
}

size_t World::memory_bytes() const {
  const size_t n = static_cast<size_t>(num_agents_);
  return grid_.memory_bytes() + agents_.capacity() * sizeof(Agent) + converters_.capacity() * sizeof(Converter) +
         inventory_.capacity() * sizeof(int32_t) + order_.capacity() * sizeof(int32_t) +
         raw_rewards_.capacity() * sizeof(float) + stats_.capacity() * sizeof(double) + n * n * (sizeof(float) + 1) +
         n * sizeof(float) + layout_.tiles.capacity() + layout_.buffer.capacity() + layout_.drawn.capacity() +
         (layout_.cells.capacity() + layout_.stack.capacity() + layout_.parent.capacity() +
          layout_.children.capacity() + layout_.leaves.capacity() + layout_.rooms.capacity()) * sizeof(int32_t) +
         (layout_.agent_rows.capacity() + layout_.agent_cols.capacity() + actions_now_.capacity()) * sizeof(int32_t) +
         sizeof(World);
}

}  // namespace gridenv
