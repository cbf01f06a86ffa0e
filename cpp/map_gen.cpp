#include "map_gen.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace gridenv {
namespace {

constexpr int32_t kDrawAttempts = 20;  // random and cave maps: draws before the open last resort
constexpr int32_t kUniformTries = 32;

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

// Cells of the largest 4-connected open area of the region into `layout.cells` (as region-local indices).
// Uses layout.parent as the visited mark and layout.stack as the queue.
void largest_open_area(Layout& layout, const Region& region) {
  const int32_t h = region.height, w = region.width;
  std::vector<int32_t>& label = layout.parent;
  label.assign(static_cast<size_t>(h) * w, -1);
  std::vector<int32_t>& queue = layout.stack;
  int32_t best_start = -1, best_size = 0;
  for (int32_t start = 0; start < h * w; ++start) {
    if (label[start] >= 0 || tile_at(layout, region, start / w, start % w) != kTileEmpty) continue;
    queue.clear();
    queue.push_back(start);
    label[start] = start;
    for (size_t head = 0; head < queue.size(); ++head) {
      const int32_t cell = queue[head], r = cell / w, c = cell % w;
      const int32_t neighbours[4][2] = {{r - 1, c}, {r + 1, c}, {r, c - 1}, {r, c + 1}};
      for (const auto& n : neighbours) {
        if (n[0] < 0 || n[0] >= h || n[1] < 0 || n[1] >= w) continue;
        const int32_t index = n[0] * w + n[1];
        if (label[index] >= 0 || tile_at(layout, region, n[0], n[1]) != kTileEmpty) continue;
        label[index] = start;
        queue.push_back(index);
      }
    }
    if (static_cast<int32_t>(queue.size()) > best_size) {
      best_size = static_cast<int32_t>(queue.size());
      best_start = start;
    }
  }
  layout.cells.clear();
  for (int32_t cell = 0; cell < h * w; ++cell)
    if (best_start >= 0 && label[cell] == best_start) layout.cells.push_back(cell);
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
  // Keep the largest open region, wall up the rest (so the cave is connected).
  largest_open_area(layout, region);
  for (int32_t r = 0; r < h; ++r)
    for (int32_t c = 0; c < w; ++c)
      if (tile_at(layout, region, r, c) == kTileEmpty) tile_at(layout, region, r, c) = kTileWall;
  for (int32_t cell : layout.cells) tile_at(layout, region, cell / w, cell % w) = kTileEmpty;
}

int32_t objects_to_place(const MapRules& map) {
  int32_t needed = map.agents;
  for (int32_t count : map.converter_counts) needed += count;
  return needed;
}

// Leaves of a breadth-first spanning tree of `area` (connected, region-local cells) from a random root, neighbours in
// random order, into layout.leaves. Removing any set of leaves keeps the rest of the tree connected.
void spanning_tree_leaves(Rng& rng, Layout& layout, const Region& region, const std::vector<int32_t>& area) {
  const int32_t w = region.width;
  std::vector<int32_t>& parent = layout.parent;  // region cell -> tree parent; -2 outside the area, -1 unvisited
  std::vector<int32_t>& children = layout.children;
  std::vector<int32_t>& queue = layout.stack;
  parent.assign(static_cast<size_t>(region.height) * w, -2);
  children.assign(static_cast<size_t>(region.height) * w, 0);
  for (int32_t cell : area) parent[cell] = -1;
  const int32_t root = area[rng.below(static_cast<uint32_t>(area.size()))];
  parent[root] = root;
  queue.assign(1, root);
  for (size_t head = 0; head < queue.size(); ++head) {
    const int32_t cell = queue[head], r = cell / w, c = cell % w;
    int32_t neighbours[4], count = 0;
    if (r > 0) neighbours[count++] = cell - w;
    if (r + 1 < region.height) neighbours[count++] = cell + w;
    if (c > 0) neighbours[count++] = cell - 1;
    if (c + 1 < w) neighbours[count++] = cell + 1;
    rng.shuffle(neighbours, static_cast<uint32_t>(count));
    for (int32_t k = 0; k < count; ++k) {
      const int32_t n = neighbours[k];
      if (parent[n] != -1) continue;
      parent[n] = cell;
      ++children[cell];
      queue.push_back(n);
    }
  }
  layout.leaves.clear();
  for (int32_t cell : area)
    if (children[cell] == 0) layout.leaves.push_back(cell);
}

// True when no converter next to `cell` has `cell` as its last open neighbour (a converter must stay usable).
bool keeps_converters_reachable(Layout& layout, const Region& region, int32_t cell) {
  const int32_t w = region.width, h = region.height;
  auto neighbours = [&](int32_t r, int32_t c, int32_t* out) {  // the 4-neighbours inside the region
    int32_t count = 0;
    const int32_t around[4][2] = {{r - 1, c}, {r + 1, c}, {r, c - 1}, {r, c + 1}};
    for (const auto& n : around)
      if (n[0] >= 0 && n[0] < h && n[1] >= 0 && n[1] < w) out[count++] = n[0] * w + n[1];
    return count;
  };
  int32_t around[4];
  const int32_t count = neighbours(cell / w, cell % w, around);
  for (int32_t k = 0; k < count; ++k) {
    const int32_t n = around[k];
    if (tile_at(layout, region, n / w, n % w) < kTileFirstConverter) continue;
    int32_t its[4], others = 0;
    const int32_t its_count = neighbours(n / w, n % w, its);
    for (int32_t j = 0; j < its_count; ++j)
      if (its[j] != cell && tile_at(layout, region, its[j] / w, its[j] % w) == kTileEmpty) ++others;
    if (others == 0) return false;
  }
  return true;
}

// True when blocking `cell` keeps its open 4-neighbours connected through the ring of cells around it: then no path
// anywhere needs `cell` (a path through it enters and leaves by those neighbours). A sufficient, O(1) test.
bool locally_removable(Layout& layout, const Region& region, int32_t cell) {
  const int32_t r = cell / region.width, c = cell % region.width;
  auto open = [&](int32_t rr, int32_t cc) {
    return rr >= 0 && rr < region.height && cc >= 0 && cc < region.width && tile_at(layout, region, rr, cc) == kTileEmpty;
  };
  // The ring clockwise from north; even entries are the 4-neighbours, odd ones the corners between them.
  const bool ring[8] = {open(r - 1, c), open(r - 1, c + 1), open(r, c + 1), open(r + 1, c + 1),
                        open(r + 1, c), open(r + 1, c - 1), open(r, c - 1), open(r - 1, c - 1)};
  // Count runs of open 4-neighbours joined by open corners; more than one run means a possible cut.
  int32_t neighbours = 0, links = 0;
  for (int32_t k = 0; k < 8; k += 2) {
    if (!ring[k]) continue;
    ++neighbours;
    if (ring[k + 1] && ring[(k + 2) % 8]) ++links;  // joined to the next 4-neighbour clockwise
  }
  // Open neighbours on a cycle of four: connected when the joins leave at most one gap (all four joined: a loop).
  return neighbours <= 1 || links >= neighbours - 1;
}

// Place the converters and then `map.agents` spawn points on distinct cells of the largest open area (computed by
// largest_open_area into layout.cells). A converter blocks movement, so placed at random it could cut a corridor or
// close a door. Each converter goes to a random open cell that cuts nothing locally (locally_removable); when a few
// tries find none (a maze: most cells are cuts), to leaves of a random spanning tree of what is still open (a fresh
// tree once the leaves run out); when no such cell is left (a perfect maze with fewer dead ends than converters),
// into alcoves: wall cells (the border too) next to the open area. Never onto the last open neighbour of another
// converter.
// What stays open stays connected, so every agent can reach every other agent and stand next to every converter.
void scatter(const MapRules& map, Rng& rng, Layout& layout, const Region& region, const std::string& field) {
  const int32_t w = region.width;
  std::vector<int32_t>& area = layout.cells;
  const int32_t needed = objects_to_place(map);
  if (needed > static_cast<int32_t>(area.size()))
    fail(field + ": " + std::to_string(map.agents) + " agents and " + std::to_string(needed - map.agents) +
         " converters do not fit in the " + std::to_string(area.size()) + " cells of the largest connected open " +
         "area of this " + std::to_string(region.width) + "x" + std::to_string(region.height) +
         " map; enlarge the map, open it up (wall_density, cave_fill) or lower the counts");
  size_t kind = 0;
  int32_t placed_of_kind = 0;
  auto next_kind = [&] {
    while (kind < map.converter_counts.size() && placed_of_kind == map.converter_counts[kind]) {
      ++kind;
      placed_of_kind = 0;
    }
    return kind < map.converter_counts.size();
  };
  auto place_converter = [&](int32_t cell) {
    tile_at(layout, region, cell / w, cell % w) = static_cast<uint8_t>(kTileFirstConverter + kind);
    ++placed_of_kind;
  };
  // Mostly uniform: random cells whose blocking cuts nothing locally; few tries, since in a maze most cells are cuts.
  for (int32_t tries = 0; tries < kUniformTries && next_kind(); ++tries) {
    const size_t pick = rng.below(static_cast<uint32_t>(area.size()));
    const int32_t cell = area[pick];
    if (!locally_removable(layout, region, cell) || !keeps_converters_reachable(layout, region, cell)) continue;
    place_converter(cell);
    area[pick] = area.back();
    area.pop_back();
    tries = -1;  // the budget is per converter
  }
  while (next_kind()) {
    spanning_tree_leaves(rng, layout, region, area);
    std::vector<int32_t>& leaves = layout.leaves;
    int32_t placed = 0;
    while (!leaves.empty() && next_kind()) {
      const size_t pick = rng.below(static_cast<uint32_t>(leaves.size()));
      const int32_t cell = leaves[pick];
      leaves[pick] = leaves.back();
      leaves.pop_back();
      if (!keeps_converters_reachable(layout, region, cell)) continue;
      place_converter(cell);
      ++placed;
    }
    area.erase(std::remove_if(area.begin(), area.end(),
                              [&](int32_t cell) { return tile_at(layout, region, cell / w, cell % w) != kTileEmpty; }),
               area.end());
    if (placed == 0) break;  // every open cell left is needed to keep the map connected
  }
  if (next_kind()) {
    // Alcoves: the remaining converters stand in walls next to the open area, the map's border wall included (a
    // perfect maze has only as many dead ends as it has, and every other corridor cell is a cut; a crowded small map
    // runs out of cells that cut nothing).
    std::vector<int32_t>& walls = layout.leaves;
    walls.clear();
    std::vector<uint8_t>& in_area = layout.buffer;  // only the area counts: random walls may enclose empty pockets
    in_area.assign(static_cast<size_t>(region.height) * w, 0);
    for (int32_t cell : area) in_area[cell] = 1;
    auto open = [&](int32_t r, int32_t c) { return r >= 0 && r < region.height && c >= 0 && c < w && in_area[r * w + c]; };
    for (int32_t r = 0; r < region.height; ++r)
      for (int32_t c = 0; c < w; ++c)
        if (tile_at(layout, region, r, c) == kTileWall &&
            (open(r - 1, c) || open(r + 1, c) || open(r, c - 1) || open(r, c + 1)))
          walls.push_back(r * w + c);
    while (next_kind()) {
      if (walls.empty())
        fail(field + ": no cell is left where another converter would not cut the map or wall in a converter (" +
             std::to_string(area.size()) + " open cells remain); lower converter_counts or open the map up");
      const size_t pick = rng.below(static_cast<uint32_t>(walls.size()));
      const int32_t cell = walls[pick];
      walls[pick] = walls.back();
      walls.pop_back();
      place_converter(cell);
    }
  }
  // Partial Fisher-Yates: the first `map.agents` entries become a uniform random sample of distinct cells.
  for (int32_t i = 0; i < map.agents; ++i) {
    const int32_t j = i + static_cast<int32_t>(rng.below(static_cast<uint32_t>(area.size() - i)));
    std::swap(area[i], area[j]);
    layout.agent_rows.push_back(region.top + area[i] / w);
    layout.agent_cols.push_back(region.left + area[i] % w);
    layout.agent_groups.push_back(0);
  }
}

// Walls on the border only: the last resort of random and cave maps.
void draw_open(Layout& layout, const Region& region) {
  fill(layout, region, kTileEmpty);
  for (int32_t r = 0; r < region.height; ++r)
    for (int32_t c = 0; c < region.width; ++c)
      if (r == 0 || c == 0 || r == region.height - 1 || c == region.width - 1) tile_at(layout, region, r, c) = kTileWall;
  largest_open_area(layout, region);
}

void draw_random(const MapRules& map, Rng& rng, Layout& layout, const Region& region) {
  fill(layout, region, kTileEmpty);
  for (int32_t r = 0; r < region.height; ++r)
    for (int32_t c = 0; c < region.width; ++c) {
      const bool border = r == 0 || c == 0 || r == region.height - 1 || c == region.width - 1;
      if (border || (map.wall_density > 0.0 && rng.uniform() < map.wall_density))
        tile_at(layout, region, r, c) = kTileWall;
    }
  largest_open_area(layout, region);
}

// Random and cave maps: draw (from the same RNG, so the map stays a function of the seed) until the objects fit and
// can be placed; after kDrawAttempts draws, an open interior, where they always fit (validate_map checks that they
// fit inside the border). So a config that resets once resets always: a vector env's auto-reset never fails.
void draw_until_objects_fit(const MapRules& map, Rng& rng, Layout& layout, const Region& region,
                            const std::string& field) {
  const size_t first_agent = layout.agent_rows.size();
  for (int32_t attempt = 0; attempt < kDrawAttempts; ++attempt) {
    if (map.generator == MapGenerator::kRandom) draw_random(map, rng, layout, region);
    else carve_cave(map, rng, layout, region);  // leaves its open area in layout.cells
    if (static_cast<int32_t>(layout.cells.size()) < objects_to_place(map)) continue;
    try {
      scatter(map, rng, layout, region, field);
      return;
    } catch (const std::invalid_argument&) {  // no place left that keeps the map connected: draw again
      layout.agent_rows.resize(first_agent);
      layout.agent_cols.resize(first_agent);
      layout.agent_groups.resize(first_agent);
    }
  }
  draw_open(layout, region);
  scatter(map, rng, layout, region, field);
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
    case MapGenerator::kCave:
      draw_until_objects_fit(map, rng, layout, region, field);
      return;
    case MapGenerator::kRooms:
      carve_rooms(map, rng, layout, region);
      break;
    case MapGenerator::kMaze:
      carve_maze(map, rng, layout, region);
      break;
  }
  largest_open_area(layout, region);
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
  if (map.generator == MapGenerator::kRandom || map.generator == MapGenerator::kCave) {
    const int64_t interior = int64_t{map.width - 2} * (map.height - 2);
    require(objects_to_place(map) <= interior,
            "agents, converter_counts: " + std::to_string(map.agents) + " agents and " +
                std::to_string(objects_to_place(map) - map.agents) + " converters do not fit inside the border of a " +
                std::to_string(map.width) + "x" + std::to_string(map.height) + " map (" + std::to_string(interior) +
                " cells); enlarge the map or lower the counts");
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
