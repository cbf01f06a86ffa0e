// Writes seed inputs for fuzz_state.cpp: real saved states (one world, and two-world VecWorlds) under the rules that
// fuzz_world corpus files decode to, in fuzz_state's input format [L: uint16][L rules bytes][state]. Run by
// `bash .ci/fuzz --state-seeds` (docs/fuzzing.md), which then keeps a coverage-minimal subset in cpp/fuzz/corpus-state.
//
//   make_state_seeds OUT_DIR MAX_STATE_BYTES CORPUS_FILE...
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_rules.hpp"
#include "vec_world.hpp"

using namespace gridenv;
using namespace gridenv::fuzz;

namespace {

void write_seed(const std::string& path, const std::vector<uint8_t>& rules_bytes, const std::vector<uint8_t>& state) {
  std::ofstream out(path, std::ios::binary);
  const uint8_t size[2] = {static_cast<uint8_t>(rules_bytes.size() & 0xff), static_cast<uint8_t>(rules_bytes.size() >> 8)};
  out.write(reinterpret_cast<const char*>(size), 2);
  out.write(reinterpret_cast<const char*>(rules_bytes.data()), static_cast<std::streamsize>(rules_bytes.size()));
  out.write(reinterpret_cast<const char*>(state.data()), static_cast<std::streamsize>(state.size()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s OUT_DIR MAX_STATE_BYTES CORPUS_FILE...\n", argv[0]);
    return 2;
  }
  const std::string out_dir = argv[1];
  const size_t max_state = std::stoul(argv[2]);
  int written = 0;
  for (int i = 3; i < argc; ++i) {
    std::ifstream file(argv[i], std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    if (bytes.size() > 65535) continue;
    FuzzedDataProvider in(bytes.data(), bytes.size());
    const GameRules rules = make_rules(in);
    try {
      World world(rules);
      Buffers buffers;
      buffers.bind(world);
      world.reset(in.ConsumeIntegral<uint64_t>());
      play(world, buffers, in, in.ConsumeIntegralInRange<int>(0, 24));
      const std::vector<uint8_t> state = world.save_state();
      if (state.size() > max_state) continue;
      write_seed(out_dir + "/world-" + std::to_string(i), bytes, state);
      ++written;
      if (2 * state.size() > max_state) continue;
      VecWorld vec(rules, 2, 1);
      const size_t agents = 2 * static_cast<size_t>(vec.agents_per_world());
      const size_t observation = world.game().observation_size();
      std::vector<uint8_t> observations(agents * observation), final_observations(agents * observation);
      std::vector<int32_t> actions(agents, 0);
      std::vector<float> rewards(agents), stats(agents * world.game().stats().names.size());
      std::unique_ptr<bool[]> terminals(new bool[agents]()), truncations(new bool[agents]()), done(new bool[2]());
      vec.bind_buffers(observations.data(), actions.data(), rewards.data(), terminals.get(), truncations.get(),
                       final_observations.data(), done.get(), stats.data(), nullptr);
      vec.reset({static_cast<uint64_t>(i), static_cast<uint64_t>(i) + 1});
      for (int t = 0; t < i % 7; ++t) vec.step();  // all noop (action 0): a few steps in, timers and stats moving
      write_seed(out_dir + "/vec-" + std::to_string(i), bytes, vec.save_state());
      ++written;
    } catch (const std::logic_error&) {
    }
  }
  std::printf("%d seeds written to %s\n", written, out_dir.c_str());
  return 0;
}
