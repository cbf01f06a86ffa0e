// Grid: the map as one flat row-major array of cells, padded on every side.
// The padding (cells holding kOutsideCell) is as wide as half the observation window, so the observation writer can
// read a full window around any agent with no bounds checks in its inner loop.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "state_archive.hpp"

namespace gridenv {

// A cell holds what stands on it: nothing, a wall, the outside padding, or an object id (agent or converter).
// Object ids start at 4 so that "this cell holds an object" is `cell & ~3`, testable on four cells at once.
using Cell = uint16_t;
constexpr Cell kEmptyCell = 0;
constexpr Cell kWallCell = 1;
constexpr Cell kOutsideCell = 2;
constexpr Cell kFirstObjectCell = 4;
constexpr uint64_t kObjectLanes = 0xFFFCFFFCFFFCFFFCULL;  // four cells read as one uint64: any object among them
constexpr size_t kReadSlack = 8;
constexpr int32_t kMaxObjects = 65535 - kFirstObjectCell;

class Grid {
 public:
  void resize(int32_t height, int32_t width, int32_t padding) {
    height_ = height;
    width_ = width;
    padding_ = padding;
    stride_ = width + 2 * padding;
    // kReadSlack extra cells at the end let the observation writer read whole 8-byte chunks past a window's edge.
    const size_t size = static_cast<size_t>(height + 2 * padding) * stride_;
    cells_.assign(size + kReadSlack, kOutsideCell);
    walls_.assign(size + kReadSlack, 1);
    marker_kinds_.assign(size + kReadSlack, 0);
    marker_expiry_.assign(size + kReadSlack, 0);
    for (int32_t r = 0; r < height; ++r)
      for (int32_t c = 0; c < width; ++c) set(r, c, kEmptyCell);
  }

  int32_t height() const { return height_; }
  int32_t width() const { return width_; }
  int32_t stride() const { return stride_; }
  bool inside(int32_t r, int32_t c) const { return r >= 0 && r < height_ && c >= 0 && c < width_; }

  // (r, c) may lie up to `padding` cells outside the map.
  Cell at(int32_t r, int32_t c) const { return cells_[index(r, c)]; }
  void set(int32_t r, int32_t c, Cell cell) {
    cells_[index(r, c)] = cell;
    walls_[index(r, c)] = cell == kWallCell || cell == kOutsideCell;
  }
  // The wall layer: 1 for a wall or outside the map, else 0 — the observation's wall channel, row by row.
  const uint8_t* wall_pointer(int32_t r, int32_t c) const { return walls_.data() + index(r, c); }
  const Cell* pointer(int32_t r, int32_t c) const { return cells_.data() + index(r, c); }
  bool on_edge(int32_t r, int32_t c) const { return r == 0 || c == 0 || r == height_ - 1 || c == width_ - 1; }

  // The floor-marker layer, laid out like the cells: kind + 1 while visible, else 0. Markers expire in the order they
  // were dropped (one duration for all), so a FIFO of drops clears them without scanning the map. A fresh marker on
  // a marked cell leaves the old entry stale; stale entries are compacted away once the queue reaches twice the
  // number of cells, so the queue stays bounded by the map, however long markers last.
  void drop_marker(int32_t r, int32_t c, uint8_t kind_plus_one, int32_t expiry) {
    const size_t i = index(r, c);
    marker_kinds_[i] = kind_plus_one;
    marker_expiry_[i] = expiry;
    if (marker_queue_.size() >= 2 * cells_.size()) compact_marker_queue();
    marker_queue_.push_back({static_cast<uint32_t>(i), expiry});
  }
  // Clear markers whose expiry is <= step (unless the cell got a newer marker since).
  void expire_markers(int32_t step) {
    while (marker_head_ < marker_queue_.size() && marker_queue_[marker_head_].expiry <= step) {
      const MarkerDrop drop = marker_queue_[marker_head_++];
      if (marker_expiry_[drop.index] == drop.expiry) marker_kinds_[drop.index] = 0;
    }
    if (marker_head_ > 0 && marker_head_ * 2 >= marker_queue_.size()) compact_marker_queue();
  }
  void clear_markers() {
    std::fill(marker_kinds_.begin(), marker_kinds_.end(), 0);
    std::fill(marker_expiry_.begin(), marker_expiry_.end(), 0);
    marker_queue_.clear();
    marker_head_ = 0;
  }
  const uint8_t* marker_kind_pointer(int32_t r, int32_t c) const { return marker_kinds_.data() + index(r, c); }
  // State I/O (World::save_state). The dimensions come from the rules, so only contents are stored; load checks
  // every cell id against `max_cell`, keeps the padding exactly "outside" (movement relies on it to stay on the
  // map), checks that every marker expires as dropping it at a step before `step` would have it expire, and rebuilds
  // the wall layer.
  void save(StateWriter& out) const {
    out.array(cells_);
    out.array(marker_kinds_);
    out.array(marker_expiry_);
    out.array(marker_queue_);
    out.value(static_cast<uint64_t>(marker_head_));
  }
  void load(StateReader& in, Cell max_cell, uint8_t markers, int32_t step, int32_t marker_duration) {
    const size_t size = cells_.size();
    in.array(cells_, size, true, "grid.cells");
    in.array(marker_kinds_, size, true, "grid.marker_kinds");
    in.array(marker_expiry_, size, true, "grid.marker_expiry");
    in.array(marker_queue_, 2 * size, false, "grid.marker_queue");
    uint64_t head;
    in.value(head);
    if (head > marker_queue_.size()) in.fail("grid.marker_head: past the end of the marker queue");
    marker_head_ = static_cast<size_t>(head);
    std::vector<uint8_t> live(size, 0);  // a cell has at most one live entry: compaction then bounds the queue
    for (size_t k = 0; k < marker_queue_.size(); ++k) {
      const MarkerDrop& drop = marker_queue_[k];
      if (drop.index >= size) in.fail("grid.marker_queue: a cell index outside the grid");
      if (k < marker_head_) continue;
      // Drops are queued in the order they expire (expire_markers stops at the first one not due), and one dropped
      // at step s expires at s + 1 + marker_duration, after the step that follows it has ended.
      if (drop.expiry <= step || int64_t{drop.expiry} > int64_t{step} + marker_duration)
        in.fail("grid.marker_queue: an expiry step " + std::to_string(drop.expiry) + " outside [step + 1, step + " +
                "marker_duration] = [" + std::to_string(int64_t{step} + 1) + ", " +
                std::to_string(int64_t{step} + marker_duration) + "]");
      if (k > marker_head_ && drop.expiry < marker_queue_[k - 1].expiry)
        in.fail("grid.marker_queue: not in the order the markers expire");
      if (marker_expiry_[drop.index] != drop.expiry || marker_kinds_[drop.index] == 0) continue;
      if (live[drop.index]++) in.fail("grid.marker_queue: two live entries for one cell");
    }
    for (size_t i = 0; i < size; ++i) {
      const int32_t r = static_cast<int32_t>(i / stride_) - padding_, c = static_cast<int32_t>(i % stride_) - padding_;
      const bool on_map = i < size - kReadSlack && inside(r, c);
      if (on_map ? (cells_[i] == kOutsideCell || cells_[i] > max_cell) : cells_[i] != kOutsideCell)
        in.fail("grid.cells: cell " + std::to_string(i) + " holds " + std::to_string(cells_[i]) +
                (on_map ? ", not a cell of this map" : "; the padding must stay outside the map"));
      if (marker_kinds_[i] > markers) in.fail("grid.marker_kinds: a marker kind that does not exist");
      if (marker_kinds_[i] != 0 && !on_map) in.fail("grid.marker_kinds: a marker outside the map");
      if (marker_kinds_[i] != 0 && !live[i])
        in.fail("grid.marker_kinds: a marker with no entry in the marker queue (it would never expire)");
      walls_[i] = cells_[i] == kWallCell || cells_[i] == kOutsideCell;
    }
  }
  size_t memory_bytes() const {
    return cells_.capacity() * (sizeof(Cell) + 2 * sizeof(uint8_t) + sizeof(int32_t)) +
           marker_queue_.capacity() * sizeof(MarkerDrop);
  }

 private:
  // Drop the expired head and stale entries in place, keeping the order (no allocation).
  void compact_marker_queue() {
    size_t kept = 0;
    for (size_t k = marker_head_; k < marker_queue_.size(); ++k) {
      const MarkerDrop drop = marker_queue_[k];
      if (marker_expiry_[drop.index] == drop.expiry && marker_kinds_[drop.index] != 0) marker_queue_[kept++] = drop;
    }
    marker_queue_.resize(kept);
    marker_head_ = 0;
  }
  size_t index(int32_t r, int32_t c) const {
    return static_cast<size_t>(r + padding_) * stride_ + static_cast<size_t>(c + padding_);
  }

  int32_t height_ = 0;
  int32_t width_ = 0;
  int32_t padding_ = 0;
  int32_t stride_ = 0;
  std::vector<Cell> cells_;
  std::vector<uint8_t> walls_;
  struct MarkerDrop {
    uint32_t index;
    int32_t expiry;
  };
  static_assert(std::has_unique_object_representations_v<MarkerDrop>);
  std::vector<uint8_t> marker_kinds_;
  std::vector<int32_t> marker_expiry_;
  std::vector<MarkerDrop> marker_queue_;
  size_t marker_head_ = 0;
};

}  // namespace gridenv
