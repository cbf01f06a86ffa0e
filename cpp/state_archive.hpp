// StateWriter / StateReader: a world's mutable state as bytes (for checkpoints that resume exactly, and for copies).
// Plain little-endian dumps of trivially copyable values and of vectors of them, each vector prefixed by its length;
// the reader checks every length against what the caller expects and never reads past the end, and a checksum over
// the whole payload catches truncated or damaged bytes before anything is loaded.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace gridenv {

// FNV-1a, 64 bits: cheap, and enough to tell damaged bytes from a state this engine wrote.
inline uint64_t state_checksum(const uint8_t* data, size_t size) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < size; ++i) hash = (hash ^ data[i]) * 0x100000001b3ULL;
  return hash;
}

class StateWriter {
 public:
  explicit StateWriter(std::vector<uint8_t>& out) : out_(out) {}
  template <typename T>
  void value(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* bytes = reinterpret_cast<const uint8_t*>(&v);
    out_.insert(out_.end(), bytes, bytes + sizeof(T));
  }
  template <typename T>
  void array(const std::vector<T>& items) {
    static_assert(std::is_trivially_copyable_v<T>);
    value(static_cast<uint64_t>(items.size()));
    const auto* bytes = reinterpret_cast<const uint8_t*>(items.data());
    out_.insert(out_.end(), bytes, bytes + items.size() * sizeof(T));
  }
  // Append the checksum of everything written so far (call last).
  void seal() { value(state_checksum(out_.data(), out_.size())); }

 private:
  std::vector<uint8_t>& out_;
};

class StateReader {
 public:
  // Checks the trailing checksum first; `what` names the object in error messages ("World.load_state").
  StateReader(const uint8_t* data, size_t size, const char* what) : data_(data), what_(what) {
    if (size < sizeof(uint64_t)) fail("the state is truncated");
    uint64_t stored;
    std::memcpy(&stored, data + size - sizeof(uint64_t), sizeof(uint64_t));
    left_ = size - sizeof(uint64_t);
    if (stored != state_checksum(data, left_)) fail("the state is damaged (checksum mismatch)");
  }
  template <typename T>
  void value(T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    take(&v, sizeof(T));
  }
  // A vector of exactly `count` items (the sizes are fixed by the rules), or at most `count` when !exact.
  template <typename T>
  void array(std::vector<T>& items, size_t count, bool exact, const char* field) {
    static_assert(std::is_trivially_copyable_v<T>);
    uint64_t n;
    value(n);
    if (exact ? n != count : n > count)
      fail(std::string(field) + ": " + std::to_string(n) + " entries, expected " + (exact ? "" : "at most ") +
           std::to_string(count) + " (a state saved under other rules?)");
    items.resize(static_cast<size_t>(n));
    take(items.data(), static_cast<size_t>(n) * sizeof(T));
  }
  void expect_end() const {
    if (left_ != 0) fail(std::to_string(left_) + " bytes left over (a state saved under other rules?)");
  }
  [[noreturn]] void fail(const std::string& message) const {
    throw std::invalid_argument(std::string(what_) + ": " + message);
  }

 private:
  void take(void* out, size_t size) {
    if (size > left_) fail("the state is truncated");
    if (size == 0) return;  // an empty vector's data() may be null, and memcpy(nullptr, ..., 0) is undefined
    std::memcpy(out, data_, size);
    data_ += size;
    left_ -= size;
  }
  const uint8_t* data_;
  size_t left_ = 0;
  const char* what_;
};

}  // namespace gridenv
