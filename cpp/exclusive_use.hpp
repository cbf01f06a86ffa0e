// ExclusiveUse: one thread at a time in a world's mutating calls.
// The bindings release the GIL around step and reset, so two Python threads can call into the same World or
// VecWorld at once; without this, their writes would race on the grid and buffers. The second caller gets an
// exception instead (cost: one atomic exchange per call).
#pragma once

#include <atomic>
#include <stdexcept>
#include <string>

namespace gridenv {

class ExclusiveUse {
 public:
  ExclusiveUse(std::atomic<bool>& busy, const char* call) : busy_(busy) {
    if (busy_.exchange(true, std::memory_order_acquire))
      throw std::runtime_error(std::string(call) + ": another thread is using this object right now; call it from "
                               "one thread at a time");
  }
  ~ExclusiveUse() { busy_.store(false, std::memory_order_release); }
  ExclusiveUse(const ExclusiveUse&) = delete;
  ExclusiveUse& operator=(const ExclusiveUse&) = delete;

 private:
  std::atomic<bool>& busy_;
};

}  // namespace gridenv
