// World: the mutable state of one game (grid, agents, converters, inventories, RNG, stats) and the step function.
//
// Buffers are owned by the caller (the Python env or a vector env) and bound once with bind_buffers; reset and step
// write into them in place and never allocate:
//   observations  uint8  [agents, C, H, W]  written by reset and step
//   actions       int32  [agents]           read by step; each in [0, number of actions)
//   rewards       float  [agents]           written by step: this step's reward after kinship mixing (r' = K r)
//   terminals     bool   [agents]           written by reset/step; the base game never terminates an agent
//   truncations   bool   [agents]           written by reset/step: true for all once step_count reaches max_steps
//
// Step order: actions are validated, then applied one agent at a time in an order shuffled each step by the world's
// RNG (so when two agents race for one cell the one earlier in that order wins); then each agent pays its shield
// upkeep and regenerates energy, agents that reached the goal terminate (and leave the grid), kinship turns raw
// rewards into mixed rewards, the step counter advances, and observations are written.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "exclusive_use.hpp"
#include "game.hpp"
#include "grid.hpp"
#include "kinship.hpp"
#include "map_gen.hpp"
#include "objects.hpp"
#include "rng.hpp"
#include "rules.hpp"

namespace gridenv {

class World {
 public:
  explicit World(std::shared_ptr<const Game> game);
  explicit World(GameRules rules) : World(std::make_shared<const Game>(std::move(rules))) {}  // a game of its own

  void bind_buffers(uint8_t* observations, const int32_t* actions, float* rewards, bool* terminals,
                    bool* truncations);
  // clear_step_outputs = false keeps rewards, terminals and truncations of the step that ended the episode (a
  // vector env's same-step auto-reset).
  void reset(uint64_t seed, bool clear_step_outputs = true);
  // Reset with a seed drawn from this world's own RNG: the episode after a seeded one is still determined by it.
  void reset_next(bool clear_step_outputs = true);
  void step();
  // 1 where the action can take effect now (the agent can pay its cost, is not frozen, has not terminated), else 0.
  // out: [agents * num_actions] uint8.
  void fill_action_mask(uint8_t* out) const;

  // The episode's whole mutable state as bytes (RNG, grid, markers, agents, converters, inventories, kinship,
  // stats, step), and back: a world of the same rules continues exactly where the saved one was. load_state checks
  // the bytes (checksum, rules fingerprint, every index) and then writes the observations into the bound buffer;
  // rewards are zeroed, terminals mark agents that reached the goal. A refused load leaves the world as it was. (World
  // state, not the caller's buffers: see world_state.cpp.)
  std::vector<uint8_t> save_state() const;
  void load_state(const uint8_t* data, size_t size);
  // Every check load_state makes, without loading (VecWorld checks all its worlds before it loads any).
  void check_state(const uint8_t* data, size_t size) const;

  // Hold while reading mutable state from another thread than the one stepping (the bindings' accessors do): a
  // concurrent reset, step or load then makes the reader raise instead of copying from vectors being replaced.
  ExclusiveUse exclusive(const char* call) const { return ExclusiveUse(busy_, call); }

  const Game& game() const { return *game_; }
  const GameRules& rules() const { return rules_; }
  int32_t num_agents() const { return num_agents_; }
  int32_t num_actions() const { return static_cast<int32_t>(rules_.actions.size()); }
  int32_t num_resources() const { return static_cast<int32_t>(rules_.resources.size()); }
  int32_t num_channels() const { return game_->num_channels(); }
  int32_t step_count() const { return step_; }
  // Every agent truncated (max_steps) or terminated (goal reached).
  bool episode_over() const { return step_ >= rules_.max_steps || num_terminated_ == num_agents_; }
  int32_t height() const { return grid_.height(); }
  int32_t width() const { return grid_.width(); }

  const std::vector<Agent>& agents() const { return agents_; }
  const std::vector<Converter>& converters() const { return converters_; }
  const std::vector<int32_t>& inventories() const { return inventory_; }  // [agents * resources]
  const std::vector<int32_t>& action_order() const { return order_; }     // order of the last step
  const std::vector<int32_t>& recipe_of_kind() const { return recipe_of_kind_; }
  const std::vector<float>& raw_rewards() const { return raw_rewards_; }  // this step, before kinship mixing
  const Kinship& kinship() const { return kinship_; }
  const std::vector<double>& stats() const { return stats_; }  // [agents * game().stats().names], this episode

  // What renderers draw, one code per cell [height * width]: 0 empty, 1 wall, 2 agent, 3 + k converter of kind k.
  void fill_map_codes(uint8_t* out) const;
  // Inspection (viewers, replays, scripted players, tests), each written into a caller's array:
  void fill_agent_positions(int32_t* out) const;   // [agents, 3]: row, col, orientation (0 N, 1 S, 2 W, 3 E)
  void fill_agent_states(int32_t* out) const;      // [agents, 5]: body, glyph + 1, shield, steps still frozen, walls built
  void fill_agents_on_grid(bool* out) const;       // [agents]: false once the agent reached the goal and left the grid
  void fill_converter_states(int32_t* out) const;  // [converters, 5]: row, col, kind, steps until ready, uses
  int32_t num_converters() const { return static_cast<int32_t>(converters_.size()); }
  // Bytes of heap memory owned by this world (excluding caller-owned buffers).
  size_t memory_bytes() const;

 private:
  void build_from_layout();
  struct LoadedState;                                                  // world_state.cpp
  LoadedState parse_state(const uint8_t* data, size_t size) const;  // every check; throws std::invalid_argument
  void reset_unguarded(uint64_t seed, bool clear_step_outputs);
  // Copy the bound actions into actions_now_ and validate the copy: the step then applies exactly what was checked,
  // even if another thread writes the caller's buffer meanwhile.
  void load_actions();
  void apply_action(int32_t agent, int32_t action_index);
  bool use_converter(int32_t agent, Converter& converter);
  int32_t faced_agent(const Agent& agent) const;  // -1 if the faced cell holds no agent
  bool attack(int32_t attacker, int32_t target);
  bool share(int32_t giver, int32_t receiver);
  bool build(int32_t builder, int32_t row, int32_t col);
  bool bond(int32_t agent, int32_t partner);
  bool switch_body(int32_t agent);
  void end_of_step_upkeep();
  void write_observations();
  void write_observation(int32_t agent, uint8_t* out) const;
  double& stat(int32_t agent, int32_t index) { return stats_[static_cast<size_t>(agent) * num_stats_ + index]; }

  std::shared_ptr<const Game> game_;  // shared with every world of the game, never changed
  const GameRules& rules_;            // game_->rules() and game_->stats(), named for the step code's many reads
  const StatTable& stat_;
  int32_t num_agents_ = 0;
  size_t num_stats_ = 0;
  Rng rng_;
  Layout layout_;  // the map drawn at the last reset (generated maps; an ASCII map's is the game's fixed_layout)
  Grid grid_;
  std::vector<Agent> agents_;
  std::vector<Converter> converters_;
  std::vector<int32_t> inventory_;  // [agents * resources]
  std::vector<int32_t> order_;
  std::vector<float> raw_rewards_;
  std::vector<int32_t> recipe_of_kind_;  // converter kind -> the recipe it follows this episode (shuffle_recipes)
  Kinship kinship_;
  int32_t step_ = 0;
  int32_t num_terminated_ = 0;
  bool ready_ = false;  // a reset (or load) completed; false before the first and after a reset that threw
  mutable std::atomic<bool> busy_{false};  // see ExclusiveUse (save_state, though const, must not race a step)
  std::vector<int32_t> actions_now_;       // [agents], this step's actions (load_actions)

  std::vector<double> stats_;  // [agents * num_stats_]

  // Caller-owned buffers (see the header comment); null until bind_buffers.
  uint8_t* observations_ = nullptr;
  const int32_t* actions_ = nullptr;
  float* rewards_ = nullptr;
  bool* terminals_ = nullptr;
  bool* truncations_ = nullptr;
};

}  // namespace gridenv
