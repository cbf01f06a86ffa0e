#include "map_gen.hpp"

#include <stdexcept>
#include <string>

namespace gridenv {
namespace {

std::string legend(const GameRules& rules) {
  std::string text = "'#' wall, '.' or ' ' empty, '0'-'9' agent of that group";
  for (const auto& converter : rules.converters) text += std::string(", '") + converter.symbol + "' " + converter.name;
  return text;
}

void clear_layout(int32_t height, int32_t width, Layout& layout) {
  layout.height = height;
  layout.width = width;
  layout.tiles.assign(static_cast<size_t>(height) * width, kTileEmpty);
  layout.agent_rows.clear();
  layout.agent_cols.clear();
  layout.agent_groups.clear();
}

}  // namespace

void parse_ascii(const GameRules& rules, Layout& layout) {
  const MapRules& map = rules.map;
  clear_layout(map.height, map.width, layout);
  for (int32_t r = 0; r < map.height; ++r) {
    for (int32_t c = 0; c < map.width; ++c) {
      const char symbol = map.ascii[static_cast<size_t>(r) * map.width + c];
      uint8_t& tile = layout.tiles[static_cast<size_t>(r) * map.width + c];
      if (symbol == '#') {
        tile = kTileWall;
      } else if (symbol == '.' || symbol == ' ') {
        tile = kTileEmpty;
      } else if (symbol >= '0' && symbol <= '9') {
        const int32_t group = symbol - '0';
        if (group >= rules.num_groups())
          throw std::invalid_argument("map.ascii: agent of group " + std::to_string(group) + " at row " +
                                      std::to_string(r) + ", column " + std::to_string(c) + " but only " +
                                      std::to_string(rules.num_groups()) + " group(s) are configured");
        layout.agent_rows.push_back(r);
        layout.agent_cols.push_back(c);
        layout.agent_groups.push_back(static_cast<uint8_t>(group));
      } else {
        int32_t kind = -1;
        for (size_t k = 0; k < rules.converters.size(); ++k)
          if (rules.converters[k].symbol == symbol) kind = static_cast<int32_t>(k);
        if (kind < 0)
          throw std::invalid_argument(std::string("map.ascii: unknown symbol '") + symbol + "' at row " +
                                      std::to_string(r) + ", column " + std::to_string(c) + "; legend: " +
                                      legend(rules));
        tile = static_cast<uint8_t>(kTileFirstConverter + kind);
      }
    }
  }
}

void generate_random(const GameRules& rules, Rng& rng, Layout& layout) {
  const MapRules& map = rules.map;
  clear_layout(map.height, map.width, layout);
  // Border walls, then interior walls by density; the remaining interior cells are candidates for objects.
  std::vector<int32_t>& free_cells = layout.scratch;
  free_cells.clear();
  for (int32_t r = 0; r < map.height; ++r) {
    for (int32_t c = 0; c < map.width; ++c) {
      const size_t index = static_cast<size_t>(r) * map.width + c;
      const bool border = r == 0 || c == 0 || r == map.height - 1 || c == map.width - 1;
      if (border || (map.wall_density > 0.0 && rng.uniform() < map.wall_density)) {
        layout.tiles[index] = kTileWall;
      } else {
        free_cells.push_back(static_cast<int32_t>(index));
      }
    }
  }
  int32_t needed = 0;
  for (int32_t count : map.agents_per_group) needed += count;
  for (int32_t count : map.converter_counts) needed += count;
  if (needed > static_cast<int32_t>(free_cells.size()))
    throw std::invalid_argument("map: " + std::to_string(needed) + " agents and converters do not fit in the " +
                                std::to_string(free_cells.size()) + " free cells of a " + std::to_string(map.width) +
                                "x" + std::to_string(map.height) + " map with wall_density " +
                                std::to_string(map.wall_density) + "; enlarge the map or lower the counts");
  // Partial Fisher-Yates: the first `needed` entries become a uniform random sample of distinct free cells.
  for (int32_t i = 0; i < needed; ++i) {
    const int32_t j = i + static_cast<int32_t>(rng.below(static_cast<uint32_t>(free_cells.size() - i)));
    std::swap(free_cells[i], free_cells[j]);
  }
  int32_t next = 0;
  for (size_t group = 0; group < map.agents_per_group.size(); ++group) {
    for (int32_t i = 0; i < map.agents_per_group[group]; ++i) {
      const int32_t cell = free_cells[next++];
      layout.agent_rows.push_back(cell / map.width);
      layout.agent_cols.push_back(cell % map.width);
      layout.agent_groups.push_back(static_cast<uint8_t>(group));
    }
  }
  for (size_t kind = 0; kind < map.converter_counts.size(); ++kind)
    for (int32_t i = 0; i < map.converter_counts[kind]; ++i)
      layout.tiles[free_cells[next++]] = static_cast<uint8_t>(kTileFirstConverter + kind);
}

std::vector<int32_t> count_agents_per_group(const GameRules& rules) {
  if (rules.map.ascii.empty()) return rules.map.agents_per_group;
  std::vector<int32_t> counts(rules.num_groups(), 0);
  for (char symbol : rules.map.ascii)
    if (symbol >= '0' && symbol <= '9' && symbol - '0' < static_cast<int32_t>(counts.size())) ++counts[symbol - '0'];
  return counts;
}

}  // namespace gridenv
