// VecWorld: many worlds of one game stepped together across threads, for batched training.
//
// Buffers are owned by the caller and bound once; world w uses the slice of agents [w * A, (w + 1) * A):
//   observations        uint8  [N * A, C, H, W]  after reset/step: the current observation (the first of the next
//                                                episode for a world that just finished; see auto-reset)
//   actions             int32  [N * A]           read (validated and copied) by send: the caller may write the next
//                                                actions while the step is in flight
//   rewards             float  [N * A]
//   terminals           bool   [N * A]           an agent that reached the goal stays terminal until its world resets
//   truncations         bool   [N * A]
//   final_observations  uint8  [N * A, C, H, W]  for worlds whose episode ended this step: their last observation
//   episode_done        bool   [N]               1 for worlds whose episode ended this step
//   episode_stats       float  [N * A, S]        for those worlds: each agent's episode stats (World::stat_names)
//   action_mask         uint8  [N * A, num_actions], optional: World::fill_action_mask after every reset/step
//
// Auto-reset is same-step: a world whose episode ends in step() is reset inside that step, with a seed drawn from
// its own RNG; rewards, terminals and truncations describe the step that ended the episode, observations already
// belong to the new one, and final_observations / episode_stats hold the end of the old one.
//
// Threads: the worlds are split into num_threads fixed contiguous ranges, so a world keeps being stepped on the same
// core and its state stays in that core's cache. Worker t (1 .. num_threads - 1) claims range t; range 0 goes to the
// caller's thread inside recv(), or to the first worker done with its own range when the caller is busy elsewhere
// (asynchronous use). Any thread claims any range not yet taken before it waits, so nobody idles while work is left.
// Workers spin briefly for the next step before sleeping: a futex wake-up per step costs as much as stepping a small
// batch. Every world has its own RNG, so results do not depend on which thread steps it or how many there are.
// send() wakes the workers and returns; recv() joins in and waits for the rest (step() = both).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "world.hpp"

namespace gridenv {

class VecWorld {
 public:
  // Every world shares `game` (its rules are validated once, when the Game is made).
  VecWorld(std::shared_ptr<const Game> game, int32_t num_worlds, int32_t num_threads);
  VecWorld(GameRules rules, int32_t num_worlds, int32_t num_threads)
      : VecWorld(std::make_shared<const Game>(std::move(rules)), num_worlds, num_threads) {}
  ~VecWorld();
  VecWorld(const VecWorld&) = delete;
  VecWorld& operator=(const VecWorld&) = delete;

  void bind_buffers(uint8_t* observations, const int32_t* actions, float* rewards, bool* terminals,
                    bool* truncations, uint8_t* final_observations, bool* episode_done, float* episode_stats,
                    uint8_t* action_mask);
  void reset(const std::vector<uint64_t>& seeds);  // one seed per world
  void send();                                      // validate actions, then start stepping every world
  void recv();                                      // wait until the step started by send() is done
  void step() {
    send();
    recv();
  }

  // Every world's state (World::save_state), one after another; load_state needs a VecWorld of the same rules and
  // size, no step in flight, and rewrites observations (and the action mask) from the loaded worlds.
  std::vector<uint8_t> save_state() const;
  void load_state(const uint8_t* data, size_t size);

  int32_t num_worlds() const { return static_cast<int32_t>(worlds_.size()); }
  int32_t num_threads() const { return num_threads_; }
  int32_t agents_per_world() const { return agents_per_world_; }
  const World& world(int32_t index) const { return *worlds_.at(static_cast<size_t>(index)); }
  const Game& game() const { return worlds_.front()->game(); }
  size_t memory_bytes() const;

 private:
  void step_world(int32_t index);
  void take_range(int32_t range);  // step a range if no other thread has claimed it; records the first exception
  void take_ranges(int32_t first_choice);
  void worker(int32_t range);

  std::vector<std::unique_ptr<World>> worlds_;
  int32_t agents_per_world_ = 0;
  int32_t num_threads_ = 1;
  size_t observation_size_ = 0;  // bytes per agent
  size_t num_stats_ = 0;

  // Caller-owned buffers (see the header comment).
  uint8_t* final_observations_ = nullptr;
  bool* episode_done_ = nullptr;
  float* episode_stats_ = nullptr;
  uint8_t* action_mask_ = nullptr;
  uint8_t* observations_ = nullptr;
  const int32_t* actions_ = nullptr;
  std::vector<int32_t> actions_in_flight_;  // [N * A], owned: send's copy of actions_, what the worlds read

  // Thread pool. `generation_` announces a step; `claimed_` hands out ranges; `worlds_done_` counts stepped worlds.
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable work_ready_, work_done_;
  std::atomic<uint64_t> generation_{0};
  std::unique_ptr<std::atomic<int32_t>[]> claimed_;  // per range: 1 once a thread took it this step
  std::atomic<int32_t> worlds_done_{0};
  std::atomic<bool> stopping_{false};
  bool in_flight_ = false;           // read and written only under ExclusiveUse(busy_)
  mutable std::atomic<bool> busy_{false};
  std::exception_ptr error_;  // the first exception a thread hit this step (guarded by mutex_)
};

}  // namespace gridenv
