// Map generation: turns MapRules into a Layout (tiles + agent placements) that World::reset builds the grid from.
// Generators draw only from the world's Rng, so a layout is a pure function of (rules, seed).
#pragma once

#include <cstdint>
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
  std::vector<uint8_t> agent_groups;
  std::vector<int32_t> scratch;  // reused by generators so a reset allocates nothing after the first
};

// ASCII legend: '#' wall, '.' or ' ' empty, '0'..'9' an agent of that group (agents numbered in row-major order),
// and each converter kind's own symbol. Throws std::invalid_argument naming the row, column and legend.
void parse_ascii(const GameRules& rules, Layout& layout);

// Random scatter on a walled rectangle. Throws std::invalid_argument when the objects do not fit.
void generate_random(const GameRules& rules, Rng& rng, Layout& layout);

// Agents per group implied by the map (ASCII: counted; random: as configured).
std::vector<int32_t> count_agents_per_group(const GameRules& rules);

}  // namespace gridenv
