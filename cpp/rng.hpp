// Rng: the one random source of a world (xoshiro256** seeded through splitmix64).
// Each world owns one; there is no global random state anywhere in the engine, so the same seed gives the same
// trajectory whatever the process, thread count or platform.
#pragma once

#include <cstdint>

namespace gridenv {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) { reseed(seed); }

  void reseed(uint64_t seed) {
    uint64_t x = seed;
    for (auto& word : state_) word = splitmix64(x);
  }

  uint64_t next() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // xoshiro's one forbidden state (it stays zero forever); reseed never produces it.
  bool is_zero() const { return (state_[0] | state_[1] | state_[2] | state_[3]) == 0; }

  // Uniform integer in [0, bound) without modulo bias (Lemire's multiply-shift with rejection).
  uint32_t below(uint32_t bound) {
    uint64_t product = static_cast<uint64_t>(static_cast<uint32_t>(next() >> 32)) * bound;
    auto low = static_cast<uint32_t>(product);
    if (low < bound) {
      const uint32_t threshold = static_cast<uint32_t>(-bound) % bound;
      while (low < threshold) {
        product = static_cast<uint64_t>(static_cast<uint32_t>(next() >> 32)) * bound;
        low = static_cast<uint32_t>(product);
      }
    }
    return static_cast<uint32_t>(product >> 32);
  }

  // Uniform double in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  template <typename T>
  void shuffle(T* items, uint32_t count) {
    for (uint32_t i = count; i > 1; --i) {
      const uint32_t j = below(i);
      T tmp = items[i - 1];
      items[i - 1] = items[j];
      items[j] = tmp;
    }
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  uint64_t state_[4];
};

}  // namespace gridenv
