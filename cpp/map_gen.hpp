// Map generation: turns MapRules into a Layout (tiles + agent spawn points) that World::reset builds the grid from.
// Generators draw only from the world's Rng, so a layout is a pure function of (rules, seed). They reuse the
// Layout's scratch buffers, so a reset allocates nothing once the buffers have grown.
//
//   random     wall border, interior walls with probability wall_density
//   ascii      a fixed map (legend below); its digits are agents of that group, numbered in reading order
//   rooms      room_rows x room_cols rooms, one door (at a random place) in every wall between neighbouring rooms
//   maze       a perfect maze (every open cell reachable) of corridors corridor_width wide, by recursive
//              backtracking (long winding corridors) or randomised Kruskal (many short dead ends)
//   cave       cellular automaton (fill cave_fill, cave_steps smoothing passes); every open region but the largest
//              is filled, so the cave is connected
//   composite  parts laid out left to right, `columns` per row, each in a slot as large as the largest part
// All but ascii then place the converters and `agents` spawn points on distinct cells of the map's largest connected
// open area, converters only where they cut no path (leaves of a random spanning tree, else alcoves in the walls
// beside the open area): every agent can reach every other agent and a cell next to every converter (of its own
// part, in a composite: parts are walled apart by design). A random or cave map too small or walled for its objects
// is drawn again (up to 20 times), then its interior left open. Where that random placement fails, the objects are
// placed on the same draw by construction (alcoves, and slots carved in a fixed order), which holds as many as every
// draw of that size holds; validate_map refuses more, so every reset of an accepted config succeeds.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "rng.hpp"
#include "rules.hpp"

namespace gridenv {

enum Tile : uint8_t { kTileEmpty = 0, kTileWall = 1, kTileFirstConverter = 2 };  // converter kind k is 2 + k

struct Layout {
  int32_t height = 0;
  int32_t width = 0;
  std::vector<uint8_t> tiles;  // [height * width], row-major
  std::vector<int32_t> agent_rows;
  std::vector<int32_t> agent_cols;
  std::vector<uint8_t> agent_groups;  // from ASCII digits; used only when the whole map is ASCII
  // Scratch space reused by the generators.
  std::vector<int32_t> cells, stack, parent, children, leaves;
  std::vector<int32_t> rooms;  // (top, left, height, width) of each room, for the placement by construction
  std::vector<uint8_t> buffer, drawn;  // drawn: the map before objects, restored when scatter fails
};

// Height and width a map will have (composite: derived from its parts). Throws std::invalid_argument when a
// generator's parameters cannot make a map of that size.
std::pair<int32_t, int32_t> map_size(const MapRules& map);

// Check a map (recursively) against the rules; throws std::invalid_argument naming the field.
void validate_map(const MapRules& map, const GameRules& rules, const std::string& field);

// Generate the whole map into `layout`. Throws std::invalid_argument when the objects do not fit.
void generate_map(const GameRules& rules, Rng& rng, Layout& layout);

// Spawn points a map places (ASCII: its digits).
int32_t count_spawns(const MapRules& map);

}  // namespace gridenv
