#include "map_gen.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace gridenv {
namespace {

[[noreturn]] void fail(const std::string& message) { throw std::invalid_argument(message); }

std::string legend(const GameRules& rules) {
  std::string text = "'#' wall, '.' or ' ' empty, '0'-'9' agent of that group";
  for (const auto& converter : rules.converters) text += std::string(", '") + converter.symbol + "' " + converter.name;
  return text;
}

// A rectangle of the layout that one (sub)map is generated into.
struct Region {
  int32_t top, left, height, width;
};

uint8_t& tile_at(Layout& layout, const Region& region, int32_t r, int32_t c) {
  return layout.tiles[static_cast<size_t>(region.top + r) * layout.width + region.left + c];
}

void fill(Layout& layout, const Region& region, uint8_t tile) {
  for (int32_t r = 0; r < region.height; ++r)
    for (int32_t c = 0; c < region.width; ++c) tile_at(layout, region, r, c) = tile;
}

void fill_border(Layout& layout, const Region& region) {
  for (int32_t r = 0; r < region.height; ++r) {
    tile_at(layout, region, r, 0) = kTileWall;
    tile_at(layout, region, r, region.width - 1) = kTileWall;
  }
  for (int32_t c = 0; c < region.width; ++c) {
    tile_at(layout, region, 0, c) = kTileWall;
    tile_at(layout, region, region.height - 1, c) = kTileWall;
  }
}

void parse_ascii_into(const MapRules& map, const GameRules& rules, Layout& layout, const Region& region) {
  for (int32_t r = 0; r < map.height; ++r) {
    for (int32_t c = 0; c < map.width; ++c) {
      const char symbol = map.ascii[static_cast<size_t>(r) * map.width + c];
      uint8_t& tile = tile_at(layout, region, r, c);
      tile = kTileEmpty;
      if (symbol == '#') {
        tile = kTileWall;
      } else if (symbol >= '0' && symbol <= '9') {
        layout.agent_rows.push_back(region.top + r);
        layout.agent_cols.push_back(region.left + c);
        layout.agent_groups.push_back(static_cast<uint8_t>(symbol - '0'));
      } else if (symbol != '.' && symbol != ' ') {
        for (size_t k = 0; k < rules.converters.size(); ++k)
          if (rules.converters[k].symbol == symbol) tile = static_cast<uint8_t>(kTileFirstConverter + k);
      }
    }
  }
}

void carve_rooms(const MapRules& map, Rng& rng, Layout& layout, const Region& region) {
  fill(layout, region, kTileEmpty);
  fill_border(layout, region);
  // Wall lines at evenly spaced positions; rooms are the gaps between them.
  auto line = [](int32_t k, int32_t count, int32_t size) { return static_cast<int32_t>((int64_t(k) * (size - 1)) / count); };
  for (int32_t k = 1; k < map.room_cols; ++k) {
    const int32_t c = line(k, map.room_cols, region.width);
    for (int32_t r = 0; r < region.height; ++r) tile_at(layout, region, r, c) = kTileWall;
  }
  for (int32_t k = 1; k < map.room_rows; ++k) {
    const int32_t r = line(k, map.room_rows, region.height);
    for (int32_t c = 0; c < region.width; ++c) tile_at(layout, region, r, c) = kTileWall;
  }
  // One door in every wall between two neighbouring rooms, at a random place along it.
  for (int32_t i = 0; i < map.room_rows; ++i) {
    const int32_t top = line(i, map.room_rows, region.height) + 1, bottom = line(i + 1, map.room_rows, region.height);
    for (int32_t j = 0; j < map.room_cols; ++j) {
      const int32_t left = line(j, map.room_cols, region.width) + 1, right = line(j + 1, map.room_cols, region.width);
      if (j + 1 < map.room_cols)
        tile_at(layout, region, top + static_cast<int32_t>(rng.below(bottom - top)), right) = kTileEmpty;
      if (i + 1 < map.room_rows)
        tile_at(layout, region, bottom, left + static_cast<int32_t>(rng.below(right - left))) = kTileEmpty;
    }
  }
}

int32_t find_root(std::vector<int32_t>& parent, int32_t x) {
  while (parent[x] != x) x = parent[x] = parent[parent[x]];
  return x;
}

void carve_maze(const MapRules& map, Rng& rng, Layout& layout, const Region& region) {
  fill(layout, region, kTileWall);
  const int32_t pitch = map.corridor_width + 1;
  const int32_t rows = (region.height - 1) / pitch, cols = (region.width - 1) / pitch;
  auto open_block = [&](int32_t r0, int32_t c0, int32_t h, int32_t w) {
    for (int32_t r = r0; r < r0 + h; ++r)
      for (int32_t c = c0; c < c0 + w; ++c) tile_at(layout, region, r, c) = kTileEmpty;
  };
  const int32_t cw = map.corridor_width;
  for (int32_t i = 0; i < rows; ++i)
    for (int32_t j = 0; j < cols; ++j) open_block(1 + i * pitch, 1 + j * pitch, cw, cw);
  // Open the wall between maze cell a and its neighbour b (right or below).
  auto connect = [&](int32_t a, int32_t b) {
    const int32_t ai = a / cols, aj = a % cols, bi = b / cols;
    if (ai == bi) open_block(1 + ai * pitch, 1 + aj * pitch + cw, cw, 1);
    else open_block(1 + ai * pitch + cw, 1 + aj * pitch, 1, cw);
  };
  const int32_t count = rows * cols;
  if (map.maze_algorithm == MazeAlgorithm::kBacktracker) {
    std::vector<uint8_t>& visited = layout.buffer;
    visited.assign(count, 0);
    std::vector<int32_t>& stack = layout.stack;
    stack.clear();
    const int32_t start = static_cast<int32_t>(rng.below(count));
    visited[start] = 1;
    stack.push_back(start);
    while (!stack.empty()) {
      const int32_t cell = stack.back();
      const int32_t i = cell / cols, j = cell % cols;
      int32_t options[4], n = 0;
      if (i > 0 && !visited[cell - cols]) options[n++] = cell - cols;
      if (i + 1 < rows && !visited[cell + cols]) options[n++] = cell + cols;
      if (j > 0 && !visited[cell - 1]) options[n++] = cell - 1;
      if (j + 1 < cols && !visited[cell + 1]) options[n++] = cell + 1;
      if (n == 0) {
        stack.pop_back();
        continue;
      }
      const int32_t next = options[rng.below(n)];
      connect(std::min(cell, next), std::max(cell, next));
      visited[next] = 1;
      stack.push_back(next);
    }
  } else {
    // Kruskal: walls in random order, opened when they join two different trees.
    std::vector<int32_t>& walls = layout.stack;
    walls.clear();
    for (int32_t cell = 0; cell < count; ++cell) {
      if ((cell % cols) + 1 < cols) walls.push_back(cell * 2);       // wall to the right
      if ((cell / cols) + 1 < rows) walls.push_back(cell * 2 + 1);   // wall below
    }
    rng.shuffle(walls.data(), static_cast<uint32_t>(walls.size()));
    std::vector<int32_t>& parent = layout.parent;
    parent.resize(count);
    for (int32_t cell = 0; cell < count; ++cell) parent[cell] = cell;
    for (int32_t wall : walls) {
      const int32_t a = wall / 2, b = (wall % 2 == 0) ? a + 1 : a + cols;
      const int32_t root_a = find_root(parent, a), root_b = find_root(parent, b);
      if (root_a == root_b) continue;
      parent[root_a] = root_b;
      connect(a, b);
    }
  }
}

void carve_cave(const MapRules& map, Rng& rng, Layout& layout, const Region& region) {
  const int32_t h = region.height, w = region.width;
  std::vector<uint8_t>& next = layout.buffer;
  next.assign(static_cast<size_t>(h) * w, kTileWall);
  for (int32_t r = 0; r < h; ++r)
    for (int32_t c = 0; c < w; ++c) {
      const bool border = r == 0 || c == 0 || r == h - 1 || c == w - 1;
      tile_at(layout, region, r, c) = (border || rng.uniform() < map.cave_fill) ? kTileWall : kTileEmpty;
    }
  for (int32_t pass = 0; pass < map.cave_steps; ++pass) {
    for (int32_t r = 1; r < h - 1; ++r)
      for (int32_t c = 1; c < w - 1; ++c) {
        int32_t walls = 0;
        for (int32_t dr = -1; dr <= 1; ++dr)
          for (int32_t dc = -1; dc <= 1; ++dc)
            if ((dr || dc) && tile_at(layout, region, r + dr, c + dc) == kTileWall) ++walls;
        const uint8_t current = tile_at(layout, region, r, c);
        next[static_cast<size_t>(r) * w + c] = walls > 4 ? kTileWall : (walls < 4 ? kTileEmpty : current);
      }
    for (int32_t r = 1; r < h - 1; ++r)
      for (int32_t c = 1; c < w - 1; ++c) tile_at(layout, region, r, c) = next[static_cast<size_t>(r) * w + c];
  }
  // Label open regions (4-connected); keep the largest, wall up the rest.
  std::vector<int32_t>& label = layout.parent;
  label.assign(static_cast<size_t>(h) * w, -1);
  std::vector<int32_t>& queue = layout.stack;
  int32_t best_label = -1, best_size = 0, labels = 0;
  for (int32_t start = 0; start < h * w; ++start) {
    if (label[start] >= 0 || tile_at(layout, region, start / w, start % w) != kTileEmpty) continue;
    queue.clear();
    queue.push_back(start);
    label[start] = labels;
    for (size_t head = 0; head < queue.size(); ++head) {
      const int32_t cell = queue[head], r = cell / w, c = cell % w;
      const int32_t neighbours[4][2] = {{r - 1, c}, {r + 1, c}, {r, c - 1}, {r, c + 1}};
      for (const auto& n : neighbours) {
        if (n[0] < 0 || n[0] >= h || n[1] < 0 || n[1] >= w) continue;
        const int32_t index = n[0] * w + n[1];
        if (label[index] >= 0 || tile_at(layout, region, n[0], n[1]) != kTileEmpty) continue;
        label[index] = labels;
        queue.push_back(index);
      }
    }
    if (static_cast<int32_t>(queue.size()) > best_size) {
      best_size = static_cast<int32_t>(queue.size());
      best_label = labels;
    }
    ++labels;
  }
  for (int32_t cell = 0; cell < h * w; ++cell)
    if (label[cell] >= 0 && label[cell] != best_label) tile_at(layout, region, cell / w, cell % w) = kTileWall;
}

// Place `map.agents` spawn points and the converters on distinct free cells of the region.
void scatter(const MapRules& map, Rng& rng, Layout& layout, const Region& region, const std::string& field) {
  std::vector<int32_t>& free_cells = layout.cells;
  free_cells.clear();
  for (int32_t r = 0; r < region.height; ++r)
    for (int32_t c = 0; c < region.width; ++c)
      if (tile_at(layout, region, r, c) == kTileEmpty) free_cells.push_back(r * region.width + c);
  int32_t needed = map.agents;
  for (int32_t count : map.converter_counts) needed += count;
  if (needed > static_cast<int32_t>(free_cells.size()))
    fail(field + ": " + std::to_string(map.agents) + " agents and " + std::to_string(needed - map.agents) +
         " converters do not fit in the " + std::to_string(free_cells.size()) + " free cells of this " +
         std::to_string(region.width) + "x" + std::to_string(region.height) +
         " map; enlarge the map, open it up (wall_density, cave_fill) or lower the counts");
  // Partial Fisher-Yates: the first `needed` entries become a uniform random sample of distinct free cells.
  for (int32_t i = 0; i < needed; ++i) {
    const int32_t j = i + static_cast<int32_t>(rng.below(static_cast<uint32_t>(free_cells.size() - i)));
    std::swap(free_cells[i], free_cells[j]);
  }
  int32_t next = 0;
  for (int32_t i = 0; i < map.agents; ++i) {
    const int32_t cell = free_cells[next++];
    layout.agent_rows.push_back(region.top + cell / region.width);
    layout.agent_cols.push_back(region.left + cell % region.width);
    layout.agent_groups.push_back(0);
  }
  for (size_t kind = 0; kind < map.converter_counts.size(); ++kind)
    for (int32_t i = 0; i < map.converter_counts[kind]; ++i) {
      const int32_t cell = free_cells[next++];
      tile_at(layout, region, cell / region.width, cell % region.width) =
          static_cast<uint8_t>(kTileFirstConverter + kind);
    }
}

void generate_into(const MapRules& map, const GameRules& rules, Rng& rng, Layout& layout, const Region& region,
                   const std::string& field) {
  switch (map.generator) {
    case MapGenerator::kAscii:
      parse_ascii_into(map, rules, layout, region);
      return;
    case MapGenerator::kComposite: {
      const auto [slot_height, slot_width] = [&] {
        int32_t h = 0, w = 0;
        for (const MapRules& part : map.parts) {
          const auto [ph, pw] = map_size(part);
          h = std::max(h, ph);
          w = std::max(w, pw);
        }
        return std::pair{h, w};
      }();
      fill(layout, region, kTileWall);  // slots larger than their part stay wall
      for (size_t i = 0; i < map.parts.size(); ++i) {
        const auto [ph, pw] = map_size(map.parts[i]);
        const Region slot{region.top + static_cast<int32_t>(i / map.columns) * slot_height,
                          region.left + static_cast<int32_t>(i % map.columns) * slot_width, ph, pw};
        generate_into(map.parts[i], rules, rng, layout, slot, field + ".parts[" + std::to_string(i) + "]");
      }
      return;
    }
    case MapGenerator::kRandom:
      fill(layout, region, kTileEmpty);
      for (int32_t r = 0; r < region.height; ++r)
        for (int32_t c = 0; c < region.width; ++c) {
          const bool border = r == 0 || c == 0 || r == region.height - 1 || c == region.width - 1;
          if (border || (map.wall_density > 0.0 && rng.uniform() < map.wall_density))
            tile_at(layout, region, r, c) = kTileWall;
        }
      break;
    case MapGenerator::kRooms:
      carve_rooms(map, rng, layout, region);
      break;
    case MapGenerator::kMaze:
      carve_maze(map, rng, layout, region);
      break;
    case MapGenerator::kCave:
      carve_cave(map, rng, layout, region);
      break;
  }
  scatter(map, rng, layout, region, field);
}

}  // namespace

std::pair<int32_t, int32_t> map_size(const MapRules& map) {
  if (map.generator != MapGenerator::kComposite) return {map.height, map.width};
  int32_t h = 0, w = 0;
  for (const MapRules& part : map.parts) {
    const auto [ph, pw] = map_size(part);
    h = std::max(h, ph);
    w = std::max(w, pw);
  }
  const int32_t columns = std::max(1, map.columns);
  const int32_t rows = (static_cast<int32_t>(map.parts.size()) + columns - 1) / columns;
  return {h * rows, w * std::min<int32_t>(columns, static_cast<int32_t>(map.parts.size()))};
}

void validate_map(const MapRules& map, const GameRules& rules, const std::string& field) {
  auto require = [&](bool ok, const std::string& what) {
    if (!ok) fail(field + "." + what);
  };
  // Composites nest; a bound on the depth keeps every recursion over the map tree shallow.
  if (std::count(field.begin(), field.end(), '[') > 8) fail(field + ": composite maps nest at most 8 deep");
  require(static_cast<int32_t>(map.generator) >= 0 && map.generator <= MapGenerator::kComposite,
          "generator: unknown generator");
  if (map.generator == MapGenerator::kComposite) {
    require(!map.parts.empty() && map.parts.size() <= 4096, "parts: a composite map needs 1 to 4096 parts");
    require(map.columns >= 1 && map.columns <= 4096, "columns: must be in [1, 4096]");
    for (size_t i = 0; i < map.parts.size(); ++i)
      validate_map(map.parts[i], rules, field + ".parts[" + std::to_string(i) + "]");
    const auto [h, w] = map_size(map);
    require(h <= 4096 && w <= 4096, "parts: the composite map is larger than 4096x4096");
    return;
  }
  require(map.width >= 1 && map.width <= 4096, "width: must be in [1, 4096], got " + std::to_string(map.width));
  require(map.height >= 1 && map.height <= 4096, "height: must be in [1, 4096], got " + std::to_string(map.height));
  if (map.generator == MapGenerator::kAscii) {
    require(map.ascii.size() == static_cast<size_t>(map.width) * map.height,
            "ascii: expected height * width characters");
    for (int32_t r = 0; r < map.height; ++r)
      for (int32_t c = 0; c < map.width; ++c) {
        const char symbol = map.ascii[static_cast<size_t>(r) * map.width + c];
        bool known = symbol == '#' || symbol == '.' || symbol == ' ' || (symbol >= '0' && symbol <= '9');
        for (const auto& converter : rules.converters) known = known || converter.symbol == symbol;
        if (!known)
          fail(field + ".ascii: unknown symbol '" + std::string(1, symbol) + "' at row " + std::to_string(r) +
               ", column " + std::to_string(c) + "; legend: " + legend(rules));
        if (symbol >= '0' && symbol <= '9' && symbol - '0' >= rules.num_groups())
          fail(field + ".ascii: agent of group " + std::string(1, symbol) + " at row " + std::to_string(r) +
               ", column " + std::to_string(c) + " but only " + std::to_string(rules.num_groups()) +
               " group(s) are configured");
      }
    return;
  }
  require(map.width >= 3 && map.height >= 3, "width, height: generated maps are at least 3x3 (a wall border)");
  require(map.agents >= 0 && map.agents <= 4096, "agents: must be in [0, 4096]");
  require(map.converter_counts.size() == rules.converters.size(),
          "converter_counts: expected one count per converter kind (" + std::to_string(rules.converters.size()) + ")");
  for (int32_t count : map.converter_counts) require(count >= 0 && count <= 65535, "converter_counts: must be >= 0");
  require(map.wall_density >= 0.0 && map.wall_density < 1.0, "wall_density: must be in [0, 1)");
  if (map.generator == MapGenerator::kRooms) {
    require(map.room_rows >= 1 && map.room_cols >= 1, "room_rows, room_cols: must be at least 1");
    require((map.width - 1) / map.room_cols >= 2 && (map.height - 1) / map.room_rows >= 2,
            "room_rows, room_cols: each room needs at least 1x1 interior; " + std::to_string(map.room_rows) + "x" +
                std::to_string(map.room_cols) + " rooms do not fit in " + std::to_string(map.width) + "x" +
                std::to_string(map.height));
  }
  if (map.generator == MapGenerator::kMaze) {
    require(map.maze_algorithm == MazeAlgorithm::kBacktracker || map.maze_algorithm == MazeAlgorithm::kKruskal,
            "maze_algorithm: unknown algorithm");
    require(map.corridor_width >= 1 && map.corridor_width + 2 <= std::min(map.width, map.height),
            "corridor_width: must be at least 1 and leave room for walls (width and height >= corridor_width + 2)");
  }
  if (map.generator == MapGenerator::kCave) {
    require(map.cave_fill >= 0.0 && map.cave_fill < 1.0, "cave_fill: must be in [0, 1)");
    require(map.cave_steps >= 0 && map.cave_steps <= 100, "cave_steps: must be in [0, 100]");
  }
}

void generate_map(const GameRules& rules, Rng& rng, Layout& layout) {
  const auto [height, width] = map_size(rules.map);
  layout.height = height;
  layout.width = width;
  layout.tiles.assign(static_cast<size_t>(height) * width, kTileWall);
  layout.agent_rows.clear();
  layout.agent_cols.clear();
  layout.agent_groups.clear();
  generate_into(rules.map, rules, rng, layout, Region{0, 0, height, width}, "map");
}

int32_t count_spawns(const MapRules& map) {
  if (map.generator == MapGenerator::kAscii)
    return static_cast<int32_t>(std::count_if(map.ascii.begin(), map.ascii.end(),
                                              [](char ch) { return ch >= '0' && ch <= '9'; }));
  if (map.generator == MapGenerator::kComposite) {
    int32_t total = 0;
    for (const MapRules& part : map.parts) total += count_spawns(part);
    return total;
  }
  return map.agents;
}

std::vector<int32_t> count_agents_per_group(const GameRules& rules) {
  if (rules.map.generator != MapGenerator::kAscii) return rules.agents_per_group;
  std::vector<int32_t> counts(rules.num_groups(), 0);
  for (char symbol : rules.map.ascii)
    if (symbol >= '0' && symbol <= '9' && symbol - '0' < static_cast<int32_t>(counts.size())) ++counts[symbol - '0'];
  return counts;
}

}  // namespace gridenv
