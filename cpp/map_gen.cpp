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

// Wall lines between the rooms of a rooms map: line k of `count` across `size` cells.
int32_t room_line(int32_t k, int32_t count, int32_t size) { return static_cast<int32_t>((int64_t(k) * (size - 1)) / count); }

void carve_rooms(const MapRules& map, Rng& rng, Layout& layout, const Region& region) {
  fill(layout, region, kTileEmpty);
  fill_border(layout, region);
  // Wall lines at evenly spaced positions; rooms are the gaps between them.
  const auto line = room_line;
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

// `agents` spawn points on distinct cells of `cells` (region-local), uniformly: a partial Fisher-Yates whose first
// `agents` entries become the sample.
void place_agents(int32_t agents, Rng& rng, std::vector<int32_t>& cells, Layout& layout, const Region& region) {
  for (int32_t i = 0; i < agents; ++i) {
    const int32_t j = i + static_cast<int32_t>(rng.below(static_cast<uint32_t>(cells.size() - i)));
    std::swap(cells[i], cells[j]);
    layout.agent_rows.push_back(region.top + cells[i] / region.width);
    layout.agent_cols.push_back(region.left + cells[i] % region.width);
    layout.agent_groups.push_back(0);
  }
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
  place_agents(map.agents, rng, area, layout, region);
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

// Placement by construction: what scatter falls back on when it fails on a drawn map, and the bound validate_map
// checks. A generated map is made of rooms, rectangles of open cells that doors or corridors join into one open area:
// the interior of an open map (the last resort of random and cave maps), each room of a rooms map, each cell block of
// a maze. A converter stands in an alcove, a wall cell beside the open area (every draw of a map of this size has at
// least the walls beside its rooms less the wall cells its doors or corridors open), or on a slot carved out of a
// room's cells that are not next to its walls, so that no alcove loses its open neighbour and every door stays
// reachable: a cell whose blocking cuts nothing (locally_removable's test) and leaves every converter beside it an
// open neighbour. Slots are carved in a fixed order with no RNG, so the counts every draw holds are known when the env
// is made; scatter's random greedy placement can fall short of them on some draws.
enum SlotState : uint8_t { kSlotWall = 0, kSlotOpen = 1, kSlotConverter = 2 };

// Orders tried: every line not congruent to 1 mod 3 first, by rows, then by columns (open lines every third one:
// close to the densest packing on large rooms), then plain row-major order (better on some small rooms); each then
// takes whatever else can still go.
constexpr int32_t kSlotOrders = 3;

// Carves up to `target` slots into `state`, a room with a ring of wall around it (height x width with the ring), in
// the given order; returns how many. Reads only the room's cells, never the ring.
int32_t carve_slots(int32_t height, int32_t width, int32_t order, int32_t target, std::vector<uint8_t>& state) {
  state.assign(static_cast<size_t>(height) * width, kSlotOpen);
  auto at = [&](int32_t r, int32_t c) -> uint8_t& { return state[static_cast<size_t>(r) * width + c]; };
  for (int32_t r = 0; r < height; ++r) at(r, 0) = at(r, width - 1) = kSlotWall;
  for (int32_t c = 0; c < width; ++c) at(0, c) = at(height - 1, c) = kSlotWall;
  // Only cells two or more from the edge are carved, so every cell looked at below is one of the room's.
  auto try_carve = [&](int32_t r, int32_t c) {
    if (at(r, c) != kSlotOpen) return false;
    const bool ring[8] = {at(r - 1, c) == kSlotOpen,     at(r - 1, c + 1) == kSlotOpen, at(r, c + 1) == kSlotOpen,
                          at(r + 1, c + 1) == kSlotOpen, at(r + 1, c) == kSlotOpen,     at(r + 1, c - 1) == kSlotOpen,
                          at(r, c - 1) == kSlotOpen,     at(r - 1, c - 1) == kSlotOpen};
    int32_t neighbours = 0, links = 0;
    for (int32_t k = 0; k < 8; k += 2) {
      if (!ring[k]) continue;
      ++neighbours;
      if (ring[k + 1] && ring[(k + 2) % 8]) ++links;
    }
    if (neighbours == 0 || (neighbours > 1 && links < neighbours - 1)) return false;
    const int32_t around[4][2] = {{r - 1, c}, {r + 1, c}, {r, c - 1}, {r, c + 1}};
    for (const auto& n : around) {
      if (at(n[0], n[1]) != kSlotConverter) continue;
      const int32_t its[4][2] = {{n[0] - 1, n[1]}, {n[0] + 1, n[1]}, {n[0], n[1] - 1}, {n[0], n[1] + 1}};
      int32_t open = 0;
      for (const auto& m : its) open += (m[0] != r || m[1] != c) && at(m[0], m[1]) == kSlotOpen;
      if (open == 0) return false;  // the last open neighbour of that converter
    }
    at(r, c) = kSlotConverter;
    return true;
  };
  const bool by_columns = order == 1;
  const int32_t lines = by_columns ? width : height, length = by_columns ? height : width;
  int32_t carved = 0;
  for (int32_t pass = order == 2 ? 1 : 0; pass < 2; ++pass)
    for (int32_t i = 2; i < lines - 2 && carved < target; ++i) {
      if (pass == 0 && (i - 1) % 3 == 0) continue;  // stays open: the converters on both sides stand beside it
      for (int32_t j = 2; j < length - 2 && carved < target; ++j)
        carved += try_carve(by_columns ? j : i, by_columns ? i : j) ? 1 : 0;
    }
  return carved;
}

// min(target, the most slots any order carves), that order's carving left in `state`. (An order that carves n
// slots carves its first t < n when asked for t: each slot is tested against the ones before it only.)
int32_t carve_best(int32_t height, int32_t width, int32_t target, std::vector<uint8_t>& state) {
  int32_t best = 0, best_order = 0;
  for (int32_t order = 0; order < kSlotOrders; ++order) {
    const int32_t carved = carve_slots(height, width, order, target, state);
    if (carved >= target) return carved;
    if (carved > best) best = carved, best_order = order;
  }
  if (best_order != kSlotOrders - 1) carve_slots(height, width, best_order, target, state);
  return best;
}

// The rooms of a map of this generator and size as (top, left, height, width) quadruples (map-local), and the number
// of wall cells beside them that its doors or corridors open on every draw.
int32_t rooms_of(const MapRules& map, int32_t height, int32_t width, std::vector<int32_t>& rooms) {
  rooms.clear();
  auto add = [&](int32_t top, int32_t left, int32_t h, int32_t w) { rooms.insert(rooms.end(), {top, left, h, w}); };
  if (map.generator == MapGenerator::kRooms) {
    for (int32_t i = 0; i < map.room_rows; ++i)
      for (int32_t j = 0; j < map.room_cols; ++j) {
        const int32_t top = room_line(i, map.room_rows, height) + 1, left = room_line(j, map.room_cols, width) + 1;
        add(top, left, room_line(i + 1, map.room_rows, height) - top, room_line(j + 1, map.room_cols, width) - left);
      }
    return map.room_rows * (map.room_cols - 1) + (map.room_rows - 1) * map.room_cols;  // one door between neighbours
  }
  if (map.generator == MapGenerator::kMaze) {
    const int32_t cw = map.corridor_width, pitch = cw + 1;
    const int32_t rows = (height - 1) / pitch, cols = (width - 1) / pitch;
    for (int32_t i = 0; i < rows; ++i)
      for (int32_t j = 0; j < cols; ++j) add(1 + i * pitch, 1 + j * pitch, cw, cw);
    return (rows * cols - 1) * cw;  // a perfect maze: a corridor cw wide between rows * cols - 1 pairs of blocks
  }
  add(1, 1, height - 2, width - 2);  // random and cave: an open interior
  return 0;
}

// Corridors at least 2 wide: the top-left cell of every block below the first block row and right of the first block
// column is a slot too. The rest of its block stays connected and reachable (every corridor into it is 2 or more cells
// wide), and the two walls beside it are beside another block's cell, no top-left one, so they stay alcoves. Their
// cells (map-local) go to `slots` if given; returns how many.
int32_t maze_corner_slots(const MapRules& map, int32_t height, int32_t width, std::vector<int32_t>* slots) {
  const int32_t pitch = map.corridor_width + 1, rows = (height - 1) / pitch, cols = (width - 1) / pitch;
  if (map.generator != MapGenerator::kMaze || map.corridor_width < 2 || rows < 2 || cols < 2) return 0;
  if (slots != nullptr)
    for (int32_t i = 1; i < rows; ++i)
      for (int32_t j = 1; j < cols; ++j) slots->push_back((1 + i * pitch) * width + 1 + j * pitch);
  return (rows - 1) * (cols - 1);
}

// The most converters every draw of this map holds, counted no further than `needed` (validate_map's bound).
int64_t converters_every_draw_holds(const MapRules& map, int32_t needed) {
  std::vector<int32_t> rooms;
  std::vector<uint8_t> open, state;
  const int32_t opened = rooms_of(map, map.height, map.width, rooms);
  open.assign(static_cast<size_t>(map.height) * map.width, 0);
  for (size_t k = 0; k < rooms.size(); k += 4)
    for (int32_t r = rooms[k]; r < rooms[k] + rooms[k + 2]; ++r)
      for (int32_t c = rooms[k + 1]; c < rooms[k + 1] + rooms[k + 3]; ++c) open[static_cast<size_t>(r) * map.width + c] = 1;
  int64_t total = -int64_t{opened};
  if (map.generator == MapGenerator::kMaze) {
    // Each of a perfect maze's rooms - 1 corridors ends beside two pillars (the wall cells where wall lines cross,
    // beside no room) and a pillar is beside at most 3 of them (the 4 around it would close a loop): so at least
    // 2 (rooms - 1) / 3 pillars are alcoves on every draw.
    const int64_t corridors = static_cast<int64_t>(rooms.size() / 4) - 1;
    total += (2 * corridors + 2) / 3;
    if (map.corridor_width >= 2) total += maze_corner_slots(map, map.height, map.width, nullptr);
  }
  for (int32_t r = 0; r < map.height; ++r)
    for (int32_t c = 0; c < map.width; ++c) {
      if (open[static_cast<size_t>(r) * map.width + c]) continue;
      const bool beside = (r > 0 && open[static_cast<size_t>(r - 1) * map.width + c]) ||
                          (r + 1 < map.height && open[static_cast<size_t>(r + 1) * map.width + c]) ||
                          (c > 0 && open[static_cast<size_t>(r) * map.width + c - 1]) ||
                          (c + 1 < map.width && open[static_cast<size_t>(r) * map.width + c + 1]);
      total += beside ? 1 : 0;
    }
  // Rooms of one size hold as many slots each (a maze's blocks all have one size): carve each size once.
  int32_t last_height = -1, last_width = -1, per_room = 0;
  for (size_t k = 0; k < rooms.size() && total < needed; k += 4) {
    if (rooms[k + 2] != last_height || rooms[k + 3] != last_width) {
      last_height = rooms[k + 2], last_width = rooms[k + 3];
      per_room = carve_best(last_height + 2, last_width + 2, INT32_MAX, state);
    }
    total += per_room;
  }
  return total;
}

// Places the objects on the drawn map in `region` (walls and open cells, no objects yet; its open cells one area, and
// at least as many as the objects) by construction; validate_map has checked that the converters fit every draw.
void place_by_construction(const MapRules& map, Rng& rng, Layout& layout, const Region& region,
                           const std::string& field) {
  const int32_t h = region.height, w = region.width;
  const int32_t converters = objects_to_place(map) - map.agents;
  auto tile = [&](int32_t cell) -> uint8_t& { return tile_at(layout, region, cell / w, cell % w); };
  auto open = [&](int32_t r, int32_t c) {
    return r >= 0 && r < h && c >= 0 && c < w && tile_at(layout, region, r, c) == kTileEmpty;
  };
  std::vector<int32_t>& alcoves = layout.stack;
  alcoves.clear();
  for (int32_t r = 0; r < h; ++r)
    for (int32_t c = 0; c < w; ++c)
      if (tile_at(layout, region, r, c) == kTileWall &&
          (open(r - 1, c) || open(r + 1, c) || open(r, c - 1) || open(r, c + 1)))
        alcoves.push_back(r * w + c);
  // Slots only for what the alcoves of this draw cannot take, room by room; the converters' cells then go to `spots`.
  const int32_t slots = std::max(0, converters - static_cast<int32_t>(alcoves.size()));
  std::vector<int32_t>& spots = layout.leaves;
  spots.clear();
  if (slots > 0 && maze_corner_slots(map, h, w, &spots) > slots) spots.resize(static_cast<size_t>(slots));
  rooms_of(map, h, w, layout.rooms);
  std::vector<uint8_t>& state = layout.buffer;
  for (size_t k = 0; k < layout.rooms.size() && static_cast<int32_t>(spots.size()) < slots; k += 4) {
    const int32_t top = layout.rooms[k], left = layout.rooms[k + 1], rh = layout.rooms[k + 2], rw = layout.rooms[k + 3];
    carve_best(rh + 2, rw + 2, slots - static_cast<int32_t>(spots.size()), state);
    for (int32_t r = 1; r <= rh; ++r)
      for (int32_t c = 1; c <= rw; ++c)
        if (state[static_cast<size_t>(r) * (rw + 2) + c] == kSlotConverter) spots.push_back((top + r - 1) * w + left + c - 1);
  }
  if (static_cast<int32_t>(spots.size()) < slots)  // validate_map refuses such counts when the env is made
    fail(field + ": " + std::to_string(converters) + " converters cannot all keep an open neighbour on this " +
         std::to_string(w) + "x" + std::to_string(h) + " map");
  for (int32_t i = 0; i < converters - slots; ++i) {  // a uniform sample of the alcoves for the rest
    const int32_t j = i + static_cast<int32_t>(rng.below(static_cast<uint32_t>(alcoves.size() - i)));
    std::swap(alcoves[i], alcoves[j]);
    spots.push_back(alcoves[i]);
  }
  rng.shuffle(spots.data(), static_cast<uint32_t>(spots.size()));  // kinds in random places
  size_t next = 0;
  for (size_t kind = 0; kind < map.converter_counts.size(); ++kind)
    for (int32_t k = 0; k < map.converter_counts[kind]; ++k) tile(spots[next++]) = static_cast<uint8_t>(kTileFirstConverter + kind);
  std::vector<int32_t>& free_cells = layout.cells;
  free_cells.clear();
  for (int32_t cell = 0; cell < h * w; ++cell)
    if (tile(cell) == kTileEmpty) free_cells.push_back(cell);
  place_agents(map.agents, rng, free_cells, layout, region);
}

// Objects onto the drawn map in `region` (its largest open area in layout.cells): scatter, which drew every map
// earlier versions drew; where it fails although the objects fit the open area, by construction on the same draw.
void place_objects(const MapRules& map, Rng& rng, Layout& layout, const Region& region, const std::string& field) {
  if (objects_to_place(map) > static_cast<int32_t>(layout.cells.size())) {
    scatter(map, rng, layout, region, field);  // refuses, naming the counts and the area
    return;
  }
  std::vector<uint8_t>& drawn = layout.drawn;
  drawn.resize(static_cast<size_t>(region.height) * region.width);
  for (int32_t r = 0; r < region.height; ++r)
    for (int32_t c = 0; c < region.width; ++c) drawn[static_cast<size_t>(r) * region.width + c] = tile_at(layout, region, r, c);
  const size_t first_agent = layout.agent_rows.size();
  try {
    scatter(map, rng, layout, region, field);
    return;
  } catch (const std::invalid_argument&) {
    layout.agent_rows.resize(first_agent);
    layout.agent_cols.resize(first_agent);
    layout.agent_groups.resize(first_agent);
  }
  for (int32_t r = 0; r < region.height; ++r)
    for (int32_t c = 0; c < region.width; ++c) tile_at(layout, region, r, c) = drawn[static_cast<size_t>(r) * region.width + c];
  place_by_construction(map, rng, layout, region, field);
}

// Random and cave maps: draw (from the same RNG, so the map stays a function of the seed) until the objects fit and
// can be placed; after kDrawAttempts draws, an open interior, placed at random and, if that fails too, by
// construction, which never fails for the counts validate_map lets through. So a config that resets once resets
// always: a vector env's auto-reset never fails.
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
  place_objects(map, rng, layout, region, field);
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
  place_objects(map, rng, layout, region, field);
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
  if (map.generator != MapGenerator::kAscii) validate_fields(map, field + ".");  // an ASCII map's size is its text's
  if (map.generator == MapGenerator::kComposite) {
    require(!map.parts.empty() && map.parts.size() <= 4096, "parts: a composite map needs 1 to 4096 parts");
    for (size_t i = 0; i < map.parts.size(); ++i)
      validate_map(map.parts[i], rules, field + ".parts[" + std::to_string(i) + "]");
    const auto [h, w] = map_size(map);
    require(h <= 4096 && w <= 4096, "parts: the composite map is larger than 4096x4096");
    return;
  }
  if (map.generator == MapGenerator::kAscii) {
    require(map.width >= 1 && map.width <= Limits::kMaxMapSide && map.height >= 1 && map.height <= Limits::kMaxMapSide,
            "width, height: an ASCII map is 1 to " + std::to_string(Limits::kMaxMapSide) + " cells a side, got " +
                std::to_string(map.width) + "x" + std::to_string(map.height));
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
  require(map.agents >= 0 && map.agents <= Limits::kMaxAgents,
          "agents: must be in [0, " + std::to_string(Limits::kMaxAgents) + "], got " + std::to_string(map.agents));
  require(map.converter_counts.size() == rules.converters.size(),
          "converter_counts: expected one count per converter kind (" + std::to_string(rules.converters.size()) + ")");
  for (int32_t count : map.converter_counts)
    require(count >= 0 && count <= Limits::kMaxConvertersPerKind,
            "converter_counts: must be in [0, " + std::to_string(Limits::kMaxConvertersPerKind) + "], got " +
                std::to_string(count));
  if (map.generator == MapGenerator::kRooms)
    require((map.width - 1) / map.room_cols >= 2 && (map.height - 1) / map.room_rows >= 2,
            "room_rows, room_cols: " + std::to_string(map.room_rows) + "x" + std::to_string(map.room_cols) +
                " rooms do not fit in " + std::to_string(map.width) + "x" + std::to_string(map.height) +
                " (each room needs a 1x1 interior and walls)");
  if (map.generator == MapGenerator::kMaze) {
    require(map.maze_algorithm == MazeAlgorithm::kBacktracker || map.maze_algorithm == MazeAlgorithm::kKruskal,
            "maze_algorithm: unknown algorithm");
    require(map.corridor_width + 2 <= std::min(map.width, map.height),
            "corridor_width: " + std::to_string(map.corridor_width) + " leaves no room for walls in a " +
                std::to_string(map.width) + "x" + std::to_string(map.height) + " map");
  }
  if (map.generator == MapGenerator::kRandom || map.generator == MapGenerator::kCave) {
    const int64_t interior = int64_t{map.width - 2} * (map.height - 2);
    require(objects_to_place(map) <= interior,
            "agents, converter_counts: " + std::to_string(map.agents) + " agents and " +
                std::to_string(objects_to_place(map) - map.agents) + " converters do not fit inside the border of a " +
                std::to_string(map.width) + "x" + std::to_string(map.height) + " map (" + std::to_string(interior) +
                " cells); enlarge the map or lower the counts");
  }
  // Every converter needs an open cell beside it that the agents reach. Where a draw's random placement fails, the
  // placement by construction holds what every draw of this size holds; more than that could fail on some seed (an
  // auto-reset would then break a vector env), so it is refused here. (Objects beyond a maze's or rooms map's open
  // area are refused by World's trial draw, with that area's size.)
  if (map.generator == MapGenerator::kMaze || map.generator == MapGenerator::kRooms) {
    std::vector<int32_t> rooms;
    int64_t open_cells = rooms_of(map, map.height, map.width, rooms);
    for (size_t k = 0; k < rooms.size(); k += 4) open_cells += int64_t{rooms[k + 2]} * rooms[k + 3];
    if (objects_to_place(map) > open_cells) return;  // the trial draw refuses them, naming the open area
  }
  const int32_t converters = objects_to_place(map) - map.agents;
  if (converters > 0 && converters_every_draw_holds(map, converters) < converters)
    require(false, "agents, converter_counts: " + std::to_string(map.agents) + " agents and " +
                       std::to_string(converters) + " converters do not fit a " + std::to_string(map.width) + "x" +
                       std::to_string(map.height) + " map: a converter needs an open cell beside it, and at most " +
                       std::to_string(converters_every_draw_holds(map, INT32_MAX)) +
                       " can have one on every draw; enlarge the map or lower the counts");
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

}  // namespace gridenv
