#include "vec_world.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "state_archive.hpp"

namespace gridenv {
namespace {
// How long a waiting thread polls before it sleeps on a condition variable (~0.1-1 ms on current CPUs).
constexpr int kSpinIterations = 200000;
}  // namespace

VecWorld::VecWorld(std::shared_ptr<const Game> game, int32_t num_worlds, int32_t num_threads) {
  if (num_worlds < 1 || num_worlds > 65536)
    throw std::invalid_argument("num_envs: must be in [1, 65536], got " + std::to_string(num_worlds));
  if (num_threads < 1 || num_threads > 256)
    throw std::invalid_argument("num_threads: must be in [1, 256], got " + std::to_string(num_threads));
  worlds_.reserve(num_worlds);
  for (int32_t w = 0; w < num_worlds; ++w) worlds_.push_back(std::make_unique<World>(game));
  agents_per_world_ = game->num_agents();
  observation_size_ = game->observation_size();
  num_stats_ = game->stats().names.size();
  num_threads_ = std::min(num_threads, num_worlds);
  claimed_.reset(new std::atomic<int32_t>[num_threads_]);
  for (int32_t r = 0; r < num_threads_; ++r) claimed_[r].store(0);
  // The caller's thread is one of the num_threads; the others are workers that live as long as this object.
  for (int32_t t = 1; t < num_threads_; ++t) threads_.emplace_back(&VecWorld::worker, this, t);
}

VecWorld::~VecWorld() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_.store(true);
  }
  work_ready_.notify_all();
  for (auto& thread : threads_) thread.join();
}

void VecWorld::bind_buffers(uint8_t* observations, const int32_t* actions, float* rewards, bool* terminals,
                            bool* truncations, uint8_t* final_observations, bool* episode_done,
                            float* episode_stats, uint8_t* action_mask) {
  ExclusiveUse exclusive(busy_, "VecWorld.bind_buffers");
  if (in_flight_) throw std::logic_error("VecWorld.bind_buffers: a step is in flight; call recv() first");
  const size_t a = static_cast<size_t>(agents_per_world_);
  actions_in_flight_.assign(worlds_.size() * a, 0);
  for (size_t w = 0; w < worlds_.size(); ++w)
    worlds_[w]->bind_buffers(observations + w * a * observation_size_, actions_in_flight_.data() + w * a,
                             rewards + w * a, terminals + w * a, truncations + w * a);
  observations_ = observations;
  actions_ = actions;
  final_observations_ = final_observations;
  episode_done_ = episode_done;
  episode_stats_ = episode_stats;
  action_mask_ = action_mask;
}

void VecWorld::reset(const std::vector<uint64_t>& seeds) {
  ExclusiveUse exclusive(busy_, "VecWorld.reset");
  if (observations_ == nullptr) throw std::logic_error("VecWorld.reset: bind_buffers must be called first");
  if (in_flight_) throw std::logic_error("VecWorld.reset: a step is in flight; call recv() first");
  if (seeds.size() != worlds_.size())
    throw std::invalid_argument("seeds: expected one per env (" + std::to_string(worlds_.size()) + "), got " +
                                std::to_string(seeds.size()));
  const size_t a = static_cast<size_t>(agents_per_world_);
  for (size_t w = 0; w < worlds_.size(); ++w) {
    worlds_[w]->reset(seeds[w]);
    episode_done_[w] = false;
    if (action_mask_ != nullptr)
      worlds_[w]->fill_action_mask(action_mask_ + w * a * worlds_[w]->num_actions());
  }
}

std::vector<uint8_t> VecWorld::save_state() const {
  ExclusiveUse exclusive(busy_, "VecWorld.save_state");
  if (in_flight_) throw std::logic_error("VecWorld.save_state: a step is in flight; call recv() first");
  std::vector<uint8_t> bytes;
  StateWriter out(bytes);
  out.value(static_cast<uint64_t>(worlds_.size()));
  for (const auto& world : worlds_) out.array(world->save_state());
  out.seal();
  return bytes;
}

void VecWorld::load_state(const uint8_t* data, size_t size) {
  ExclusiveUse exclusive(busy_, "VecWorld.load_state");
  if (in_flight_) throw std::logic_error("VecWorld.load_state: a step is in flight; call recv() first");
  StateReader in(data, size, "VecWorld.load_state");
  uint64_t count;
  in.value(count);
  if (count != worlds_.size())
    in.fail("the state holds " + std::to_string(count) + " worlds, this VecWorld " + std::to_string(worlds_.size()));
  // Check every world's state before loading any, so a refused load leaves every world as it was.
  std::vector<std::vector<uint8_t>> world_states(worlds_.size());
  for (size_t w = 0; w < worlds_.size(); ++w) {
    in.array(world_states[w], size, false, "worlds");
    worlds_[w]->check_state(world_states[w].data(), world_states[w].size());
  }
  in.expect_end();
  const size_t a = static_cast<size_t>(agents_per_world_);
  for (size_t w = 0; w < worlds_.size(); ++w) {
    worlds_[w]->load_state(world_states[w].data(), world_states[w].size());
    episode_done_[w] = false;
    if (action_mask_ != nullptr) worlds_[w]->fill_action_mask(action_mask_ + w * a * worlds_[w]->num_actions());
  }
}

void VecWorld::send() {
  ExclusiveUse exclusive(busy_, "VecWorld.send");
  if (observations_ == nullptr) throw std::logic_error("VecWorld.send: bind_buffers must be called first");
  if (in_flight_) throw std::logic_error("VecWorld.send: a step is already in flight; call recv() first");
  // Validate everything before any world moves, so a bad action leaves every world untouched.
  const int32_t num_actions = worlds_.front()->num_actions();
  const size_t total = worlds_.size() * static_cast<size_t>(agents_per_world_);
  // Copy, then check the copy: what is checked is what the worlds read (the caller's buffer is free from here on).
  std::copy(actions_, actions_ + total, actions_in_flight_.begin());
  for (size_t i = 0; i < total; ++i)
    if (actions_in_flight_[i] < 0 || actions_in_flight_[i] >= num_actions)
      throw std::invalid_argument("actions[" + std::to_string(i) + "]: must be in [0, " +
                                  std::to_string(num_actions - 1) + "], got " +
                                  std::to_string(actions_in_flight_[i]));
  in_flight_ = true;
  for (int32_t r = 0; r < num_threads_; ++r) claimed_[r].store(0, std::memory_order_relaxed);
  worlds_done_.store(0);
  if (threads_.empty()) return;  // stepped by recv() on the caller's thread
  {
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1);
  }
  work_ready_.notify_all();
}

void VecWorld::recv() {
  ExclusiveUse exclusive(busy_, "VecWorld.recv");
  if (!in_flight_) throw std::logic_error("VecWorld.recv: no step in flight; call send() first");
  take_ranges(0);  // the caller steps range 0 (and any range not yet taken), rather than wait idle
  const int32_t n = num_worlds();
  for (int spin = 0; worlds_done_.load(std::memory_order_acquire) < n && spin < kSpinIterations; ++spin) {
  }
  std::exception_ptr error;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    work_done_.wait(lock, [&] { return worlds_done_.load(std::memory_order_acquire) >= n; });
    std::swap(error, error_);
  }
  in_flight_ = false;
  if (error) std::rethrow_exception(error);  // raised on some thread: re-raised here, on the caller's
}

void VecWorld::step_world(int32_t w) {
  const size_t a = static_cast<size_t>(agents_per_world_);
  World& world = *worlds_[w];
  world.step();
  const bool done = world.episode_over();
  episode_done_[w] = done;
  if (done) {
    std::memcpy(final_observations_ + w * a * observation_size_, observations_ + w * a * observation_size_,
                a * observation_size_);
    const std::vector<double>& stats = world.stats();
    float* out = episode_stats_ + w * a * num_stats_;
    for (size_t i = 0; i < stats.size(); ++i) out[i] = static_cast<float>(stats[i]);
    world.reset_next(/*clear_step_outputs=*/false);
  }
  if (action_mask_ != nullptr) world.fill_action_mask(action_mask_ + w * a * world.num_actions());
}

void VecWorld::take_range(int32_t range) {
  if (claimed_[range].exchange(1, std::memory_order_acq_rel) != 0) return;
  const int32_t n = num_worlds();
  const int32_t first = static_cast<int32_t>(static_cast<int64_t>(n) * range / num_threads_);
  const int32_t last = static_cast<int32_t>(static_cast<int64_t>(n) * (range + 1) / num_threads_);
  for (int32_t w = first; w < last; ++w) {
    try {
      step_world(w);  // actions were validated by send(); a reset can still fail (a map that cannot fit)
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
  }
  const int32_t count = last - first;
  if (worlds_done_.fetch_add(count, std::memory_order_acq_rel) + count == n) {
    std::lock_guard<std::mutex> lock(mutex_);  // pairs with the wait in recv(): no lost wake-up
    work_done_.notify_all();
  }
}

void VecWorld::take_ranges(int32_t first_choice) {
  take_range(first_choice);
  for (int32_t r = 0; r < num_threads_; ++r) take_range(r);
}

void VecWorld::worker(int32_t range) {
  uint64_t seen = 0;
  while (true) {
    // Spin a little for the next step (cheap when steps come back to back), then sleep.
    for (int spin = 0; generation_.load(std::memory_order_acquire) == seen && spin < kSpinIterations; ++spin) {
      if (stopping_.load(std::memory_order_relaxed)) return;
    }
    {
      std::unique_lock<std::mutex> lock(mutex_);
      work_ready_.wait(lock, [&] { return stopping_.load() || generation_.load() != seen; });
      if (stopping_.load()) return;
      seen = generation_.load();
    }
    take_ranges(range);
  }
}

size_t VecWorld::memory_bytes() const {
  size_t total = sizeof(VecWorld) + actions_in_flight_.capacity() * sizeof(int32_t);
  for (const auto& world : worlds_) total += world->memory_bytes();
  return total;
}

}  // namespace gridenv
