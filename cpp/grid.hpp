// Grid: the map as one flat row-major array of cells, padded on every side.
// The padding (cells holding kOutsideCell) is as wide as half the observation window, so the observation writer can
// read a full window around any agent with no bounds checks in its inner loop.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace gridenv {

// A cell holds what stands on it: nothing, a wall, the outside padding, or an object id (agent or converter).
using Cell = uint16_t;
constexpr Cell kEmptyCell = 0;
constexpr Cell kWallCell = 1;
constexpr Cell kOutsideCell = 2;
constexpr Cell kFirstObjectCell = 3;
constexpr int32_t kMaxObjects = 65535 - kFirstObjectCell;

class Grid {
 public:
  void resize(int32_t height, int32_t width, int32_t padding) {
    height_ = height;
    width_ = width;
    padding_ = padding;
    stride_ = width + 2 * padding;
    cells_.assign(static_cast<size_t>(height + 2 * padding) * stride_, kOutsideCell);
    marker_kinds_.assign(cells_.size(), 0);
    marker_expiry_.assign(cells_.size(), 0);
    for (int32_t r = 0; r < height; ++r)
      for (int32_t c = 0; c < width; ++c) at(r, c) = kEmptyCell;
  }

  int32_t height() const { return height_; }
  int32_t width() const { return width_; }
  int32_t stride() const { return stride_; }
  bool inside(int32_t r, int32_t c) const { return r >= 0 && r < height_ && c >= 0 && c < width_; }

  // (r, c) may lie up to `padding` cells outside the map.
  Cell& at(int32_t r, int32_t c) { return cells_[index(r, c)]; }
  Cell at(int32_t r, int32_t c) const { return cells_[index(r, c)]; }
  const Cell* pointer(int32_t r, int32_t c) const { return cells_.data() + index(r, c); }
  bool on_edge(int32_t r, int32_t c) const { return r == 0 || c == 0 || r == height_ - 1 || c == width_ - 1; }

  // The floor-marker layer, laid out like the cells: kind + 1 (0 none) and the first step it is no longer visible.
  void drop_marker(int32_t r, int32_t c, uint8_t kind_plus_one, int32_t expiry) {
    marker_kinds_[index(r, c)] = kind_plus_one;
    marker_expiry_[index(r, c)] = expiry;
  }
  void clear_markers() {
    std::fill(marker_kinds_.begin(), marker_kinds_.end(), 0);
    std::fill(marker_expiry_.begin(), marker_expiry_.end(), 0);
  }
  const uint8_t* marker_kind_pointer(int32_t r, int32_t c) const { return marker_kinds_.data() + index(r, c); }
  const int32_t* marker_expiry_pointer(int32_t r, int32_t c) const { return marker_expiry_.data() + index(r, c); }
  size_t memory_bytes() const { return cells_.capacity() * (sizeof(Cell) + sizeof(uint8_t) + sizeof(int32_t)); }

 private:
  size_t index(int32_t r, int32_t c) const {
    return static_cast<size_t>(r + padding_) * stride_ + static_cast<size_t>(c + padding_);
  }

  int32_t height_ = 0;
  int32_t width_ = 0;
  int32_t padding_ = 0;
  int32_t stride_ = 0;
  std::vector<Cell> cells_;
  std::vector<uint8_t> marker_kinds_;
  std::vector<int32_t> marker_expiry_;
};

}  // namespace gridenv
