// Actions: the vocabulary of what an agent can do, defined once here and exposed to Python as a table.
//
// Moves are absolute: move_north/south/west/east first turn the agent to face that direction, then step into the
// cell if it is empty. A blocked move still turns the agent, which is how an agent comes to face an object.
// `use` interacts with the faced cell (a converter: mine, charger, altar, ...).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace gridenv {

enum class ActionKind : uint8_t {
  kNoop = 0,
  kMoveNorth,
  kMoveSouth,
  kMoveWest,
  kMoveEast,
  kUse,
  kCount,
};
constexpr int32_t kNumActionKinds = static_cast<int32_t>(ActionKind::kCount);

constexpr std::array<std::string_view, kNumActionKinds> kActionNames = {
    "noop", "move_north", "move_south", "move_west", "move_east", "use",
};

// Orientation of an agent; the numbering is the observation's (0 is never written for an agent, so "no agent" is 0).
enum class Orientation : uint8_t { kNorth = 0, kSouth = 1, kWest = 2, kEast = 3 };
constexpr std::array<int32_t, 4> kRowStep = {-1, 1, 0, 0};
constexpr std::array<int32_t, 4> kColStep = {0, 0, -1, 1};

inline bool is_move(ActionKind kind) { return kind >= ActionKind::kMoveNorth && kind <= ActionKind::kMoveEast; }
inline Orientation move_direction(ActionKind kind) {
  return static_cast<Orientation>(static_cast<uint8_t>(kind) - static_cast<uint8_t>(ActionKind::kMoveNorth));
}

}  // namespace gridenv
