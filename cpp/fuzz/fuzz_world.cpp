// libFuzzer harness for the engine's boundary: rules, action streams and saved states, as Python can hand them over.
//
// The Python binding exposes every GameRules field (gridenv._core.GameRules is read-write), so the engine itself
// must refuse what pydantic would refuse. From one input the harness builds rules (fuzz_rules.hpp: each field drawn
// a little past its valid range, so the validator is exercised on both sides), makes a World (std::invalid_argument
// is a refusal, not a finding), resets it, steps a stream of actions (out-of-range ones included), saves its state,
// flips bytes in it, re-seals the checksum so the mutation reaches the engine's own checks, and loads it into a
// world of the same rules (another refusal is fine) before stepping again. Crashes, sanitizer reports, hangs and
// leaks are findings, and so are broken promises (fuzz_rules.hpp: finding()): a reset that throws for rules the
// constructor accepted, an unmodified saved state that does not load, and a loaded world that does not continue
// exactly like the one that saved it. Build and run: .ci/fuzz (docs/fuzzing.md).
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "fuzz_rules.hpp"

using namespace gridenv;
using namespace gridenv::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  GameRules rules = make_rules(in);
  std::unique_ptr<World> made;
  try {
    made = std::make_unique<World>(rules);
  } catch (const std::logic_error&) {  // rules refused by name: the engine's job
    return 0;
  }
  World& world = *made;
  Buffers buffers;
  buffers.bind(world);
  const uint64_t seed = in.ConsumeIntegral<uint64_t>();
  if (!reset_accepted(world, &seed)) return 0;
  play(world, buffers, in, in.ConsumeIntegralInRange<int>(0, 24));
  const std::vector<uint8_t> saved = world.save_state();
  std::vector<uint8_t> state = saved;
  // Flip a few bytes and re-seal the checksum (the last 8 bytes), so the mutation meets the engine's checks.
  const int flips = in.ConsumeIntegralInRange<int>(0, 4);
  for (int i = 0; i < flips && state.size() > 8; ++i)
    state[in.ConsumeIntegralInRange<size_t>(0, state.size() - 9)] ^= in.ConsumeIntegralInRange<uint8_t>(1, 255);
  if (state.size() >= 8 && in.ConsumeBool()) {
    const uint64_t seal = fnv1a(state.data(), state.size() - 8);
    std::memcpy(state.data() + state.size() - 8, &seal, 8);
  }
  if (in.ConsumeIntegralInRange<int>(0, 7) == 0) state.resize(in.ConsumeIntegralInRange<size_t>(0, state.size()));
  const bool pristine = state == saved;
  World other(rules);
  Buffers other_buffers;
  other_buffers.bind(other);
  try {
    other.load_state(state.data(), state.size());
  } catch (const std::logic_error& error) {
    if (pristine) finding(std::string("a world refused the state a world of the same rules saved: ") + error.what());
    return 0;
  }
  // (Rewards are not compared here: a load zeroes them, the saving world holds its last step's.)
  if (pristine && other_buffers.observations != buffers.observations)
    finding("a loaded world's observations differ from the saving world's");
  // An unmodified state: both worlds must go on alike (the same draws as stepping `other` alone).
  play(other, other_buffers, in, in.ConsumeIntegralInRange<int>(0, 12), pristine ? &world : nullptr,
       pristine ? &buffers : nullptr);
  if (pristine && other.save_state() != world.save_state()) finding("two worlds that went on alike saved different states");
  return 0;
}
