// Actions: the vocabulary of what an agent can do, defined once here and exposed to Python as a table. What each
// action does to the world is in actions.cpp.
//
// Moves are absolute: move_north/south/west/east first turn the agent to face that direction, then step into the
// cell if it is empty. A blocked move still turns the agent, which is how an agent comes to face something.
// Every other interaction acts on the faced cell:
//   use            use the faced converter (mine, charger, altar, ...)
//   attack         freeze the faced agent and steal part of its inventory, unless its shield absorbs the hit
//   toggle_shield  raise or lower the own shield (a raised shield drains energy every step)
//   share          give a configured amount of a resource to the faced agent
//   glyph_k        show glyph k on oneself (arg = k)
//   marker_k       drop marker k on the own cell; it fades after a configured time (arg = k)
//   build          put a wall on the faced empty cell (costs resources)
//   destroy        remove the faced wall (map-edge walls are indestructible)
//   bond           offer a bond to the faced agent; if it offers back within the window, their kinship rises
//   switch_body    switch between the two bodies (postures) of the own group
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace gridenv {

enum class ActionKind : int32_t {  // int32: any int from Python casts to it unchanged, validate_rules checks it
  kNoop = 0,
  kMoveNorth,
  kMoveSouth,
  kMoveWest,
  kMoveEast,
  kUse,
  kAttack,
  kToggleShield,
  kShare,
  kGlyph,
  kMarker,
  kBuild,
  kDestroy,
  kBond,
  kSwitchBody,
  kCount,
};
constexpr int32_t kNumActionKinds = static_cast<int32_t>(ActionKind::kCount);

constexpr std::array<std::string_view, kNumActionKinds> kActionNames = {
    "noop", "move_north", "move_south", "move_west", "move_east", "use",   "attack",      "toggle_shield",
    "share", "glyph",     "marker",     "build",     "destroy",   "bond", "switch_body",
};

// One entry of the flat Discrete action table: a kind and its argument (glyph or marker index; 0 otherwise).
struct ActionSpec {
  ActionKind kind = ActionKind::kNoop;
  int32_t arg = 0;
};

// Energy an action kind costs when a body does not say otherwise (in kActionNames order).
constexpr std::array<int32_t, kNumActionKinds> kDefaultActionCosts = {0, 1, 1, 1, 1, 1, 5, 1, 1, 1, 1, 5, 2, 3, 1};

// Action kinds whose table entries carry an index (glyph_k, marker_k); every other kind has argument 0.
inline bool takes_index(ActionKind kind) { return kind == ActionKind::kGlyph || kind == ActionKind::kMarker; }

// Orientation of an agent; the observation writes orientation + 1 so that 0 means "no agent".
enum class Orientation : uint8_t { kNorth = 0, kSouth = 1, kWest = 2, kEast = 3 };
constexpr std::array<int32_t, 4> kRowStep = {-1, 1, 0, 0};
constexpr std::array<int32_t, 4> kColStep = {0, 0, -1, 1};

inline bool is_move(ActionKind kind) { return kind >= ActionKind::kMoveNorth && kind <= ActionKind::kMoveEast; }
inline Orientation move_direction(ActionKind kind) {
  return static_cast<Orientation>(static_cast<uint8_t>(kind) - static_cast<uint8_t>(ActionKind::kMoveNorth));
}

}  // namespace gridenv
