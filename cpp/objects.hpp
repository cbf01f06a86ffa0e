// Objects: what can stand on a grid cell besides walls. Agents and converters are plain structs in flat arrays owned
// by World; a grid cell refers to one by id (see grid.hpp). Inventories live in World as one [agents x resources]
// array so the observation writer and stats read them contiguously.
#pragma once

#include <cstdint>
#include <type_traits>

#include "actions.hpp"
#include "grid.hpp"

namespace gridenv {

struct Agent {
  int32_t row = 0;
  int32_t col = 0;
  Orientation orientation = Orientation::kNorth;
  uint8_t group = 0;
  uint8_t body = 0;          // index into GameRules::bodies: the group's own body, or its posture body
  uint8_t glyph = 0;         // 0 none, k + 1 for glyph k
  bool shield = false;
  uint8_t unused_[3] = {0, 0, 0};  // explicit, zeroed padding: saved states are byte-for-byte reproducible
  int32_t frozen_until = 0;  // first step at which the agent can act again
  int32_t walls_built = 0;
  int32_t walls_destroyed = 0;
  int32_t bond_target = -1;  // the agent this one offered a bond to, and when
  int32_t bond_step = 0;
  int32_t last_action = -1;  // index into the action table, -1 before the first step
  bool last_action_succeeded = false;
  bool terminated = false;   // reached the goal: off the grid, acts no more this episode
  uint8_t unused_end_[2] = {0, 0};
};
// No implicit padding (whose bytes would be whatever the stack held) in what World::save_state copies as bytes.
static_assert(std::has_unique_object_representations_v<Agent>);

// A converter turns the user's inputs into outputs (mine, charger, altar, ...), then rests for its cooldown.
struct Converter {
  int32_t row = 0;
  int32_t col = 0;
  uint16_t kind = 0;
  uint16_t unused_ = 0;    // explicit, zeroed padding (see Agent)
  int32_t ready_step = 0;  // first step at which it can be used again
  int32_t uses = 0;
  // Agents waiting for partners this step (recipes with users_required > 1).
  int32_t pending_step = -1;
  int32_t pending_count = 0;
  int32_t pending[4] = {-1, -1, -1, -1};
};
static_assert(std::has_unique_object_representations_v<Converter>);

// Object ids: agents first, then converters. The grid stores kFirstObjectCell + id.
inline Cell agent_cell(int32_t agent) { return static_cast<Cell>(kFirstObjectCell + agent); }
inline Cell converter_cell(int32_t num_agents, int32_t converter) {
  return static_cast<Cell>(kFirstObjectCell + num_agents + converter);
}

}  // namespace gridenv
