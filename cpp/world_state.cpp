// World::save_state / load_state: the layout of a saved world, and the checks that make loading safe.
//
// Layout (StateWriter): magic "GRIDENV" + format version (uint8), a fingerprint of the rules (agents, map size,
// resources, actions, channels, converter kinds, stats), then rng, step, num_terminated, the grid, agents,
// converters, inventories, the last action order, raw rewards, recipes, kinship and stats; a checksum closes it.
// Not saved: the rules (the loading world has its own, and the fingerprint must match), the map generator's
// scratch layout (rebuilt at the next reset) and the caller's buffers.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "state_archive.hpp"
#include "world.hpp"

namespace gridenv {
namespace {

constexpr char kMagic[8] = {'G', 'R', 'I', 'D', 'E', 'N', 'V', 2};  // the last byte is the format version

struct Fingerprint {
  int32_t agents, height, width, resources, actions, channels, converter_kinds, stats;
  uint64_t rules;  // rules_digest: every other field of the rules (kinship, rewards, costs, map, ...)
  bool operator==(const Fingerprint& other) const { return std::memcmp(this, &other, sizeof(*this)) == 0; }
};

}  // namespace

std::vector<uint8_t> World::save_state() const {
  ExclusiveUse exclusive(busy_, "World.save_state");
  if (!ready_) throw std::logic_error("World.save_state: the world has not been reset (or its last reset failed)");
  const Fingerprint fingerprint{num_agents_,       height(), width(), num_resources(), num_actions(), num_channels(),
                                static_cast<int32_t>(rules_.converters.size()),
                                static_cast<int32_t>(num_stats_), game_->digest()};
  std::vector<uint8_t> bytes;
  StateWriter out(bytes);
  out.value(kMagic);
  out.value(fingerprint);
  out.value(rng_);
  out.value(step_);
  out.value(num_terminated_);
  grid_.save(out);
  out.array(agents_);
  out.array(converters_);
  out.array(inventory_);
  out.array(order_);
  out.array(raw_rewards_);
  out.array(recipe_of_kind_);
  kinship_.save(out);
  out.array(stats_);
  out.seal();
  return bytes;
}

// Everything a saved state holds, parsed and checked (parse_state) before load_state replaces the world's own with it,
// so a refused load leaves the world exactly as it was.
struct World::LoadedState {
  Rng rng;
  int32_t step = 0, num_terminated = 0;
  Grid grid;
  std::vector<Agent> agents;
  std::vector<Converter> converters;
  std::vector<int32_t> inventory, order, recipe_of_kind;
  std::vector<float> raw_rewards;
  Kinship kinship;
  std::vector<double> stats;
};

void World::load_state(const uint8_t* data, size_t size) {
  ExclusiveUse exclusive(busy_, "World.load_state");
  if (observations_ == nullptr) throw std::logic_error("World.load_state: bind_buffers must be called first");
  LoadedState loaded = parse_state(data, size);
  rng_ = loaded.rng;
  step_ = loaded.step;
  num_terminated_ = loaded.num_terminated;
  grid_ = std::move(loaded.grid);
  agents_ = std::move(loaded.agents);
  converters_ = std::move(loaded.converters);
  inventory_ = std::move(loaded.inventory);
  order_ = std::move(loaded.order);
  raw_rewards_ = std::move(loaded.raw_rewards);
  recipe_of_kind_ = std::move(loaded.recipe_of_kind);
  kinship_ = std::move(loaded.kinship);
  stats_ = std::move(loaded.stats);
  for (int32_t a = 0; a < num_agents_; ++a) {
    rewards_[a] = 0.0f;
    terminals_[a] = agents_[a].terminated;
    truncations_[a] = step_ >= rules_.max_steps && !agents_[a].terminated;
  }
  write_observations();
  ready_ = true;
}

void World::check_state(const uint8_t* data, size_t size) const {
  ExclusiveUse exclusive(busy_, "World.check_state");
  parse_state(data, size);
}

World::LoadedState World::parse_state(const uint8_t* data, size_t size) const {
  StateReader in(data, size, "World.load_state");
  char magic[8];
  in.value(magic);
  if (std::memcmp(magic, kMagic, 7) != 0) in.fail("not a gridenv world state");
  if (magic[7] != kMagic[7])
    in.fail("format version " + std::to_string(magic[7]) + ", this engine reads " + std::to_string(kMagic[7]));
  Fingerprint fingerprint{}, mine{num_agents_, height(), width(), num_resources(), num_actions(), num_channels(),
                              static_cast<int32_t>(rules_.converters.size()),
                              static_cast<int32_t>(num_stats_), game_->digest()};
  in.value(fingerprint);
  if (!(fingerprint == mine)) {
    fingerprint.rules = mine.rules;
    if (fingerprint == mine)  // every size matches: the difference is in the rules themselves
      in.fail("saved under other rules (the same sizes, but another kinship scheme, rewards, costs, converters, "
              "episode length or map generator: the rules digest differs)");
    in.fail("saved by a world of other rules (" + std::to_string(fingerprint.agents) + " agents on " +
            std::to_string(fingerprint.height) + "x" + std::to_string(fingerprint.width) + ", this one " +
            std::to_string(mine.agents) + " on " + std::to_string(mine.height) + "x" + std::to_string(mine.width) +
            ", or other resources, actions, converters or stats)");
  }
  LoadedState loaded{Rng(), 0, 0, grid_, {}, {}, {}, {}, {}, {}, kinship_, {}};  // grid, kinship: same dimensions
  auto& [rng, step, num_terminated, grid, agents, converters, inventory, order, recipe_of_kind, raw_rewards, kinship,
         stats] = loaded;
  in.value(rng);
  in.value(step);
  in.value(num_terminated);
  if (step < 0 || step > rules_.max_steps) in.fail("step: outside [0, max_steps]");  // the grid's markers need it
  const size_t max_converters = static_cast<size_t>(kMaxObjects - num_agents_);
  grid.load(in, static_cast<Cell>(kFirstObjectCell + num_agents_ + max_converters - 1),
            static_cast<uint8_t>(rules_.markers), step, rules_.marker_duration);
  in.array(agents, static_cast<size_t>(num_agents_), true, "agents");
  in.array(converters, max_converters, false, "converters");
  in.array(inventory, static_cast<size_t>(num_agents_) * num_resources(), true, "inventories");
  in.array(order, static_cast<size_t>(num_agents_), true, "action_order");
  in.array(raw_rewards, static_cast<size_t>(num_agents_), true, "raw_rewards");
  in.array(recipe_of_kind, rules_.converters.size(), true, "recipe_of_kind");
  kinship.load(in, game_->agent_groups());
  in.array(stats, static_cast<size_t>(num_agents_) * num_stats_, true, "stats");
  in.expect_end();

  // Every value that indexes memory or steers a loop is checked; a consistent grid (each object where it says) too.
  if (rng.is_zero()) in.fail("rng: an all-zero generator state (it would never produce another number)");
  if (num_terminated < 0 || num_terminated > num_agents_) in.fail("num_terminated: outside [0, agents]");
  const int32_t num_objects = num_agents_ + static_cast<int32_t>(converters.size());
  for (int32_t cell_index = 0; cell_index < height() * width(); ++cell_index) {
    const Cell cell = grid.at(cell_index / width(), cell_index % width());
    if (cell >= kFirstObjectCell + num_objects) in.fail("grid.cells: an object id with no object");
  }
  auto is_bool = [](const bool& flag) {  // a loaded byte other than 0 or 1 is no bool
    uint8_t raw;
    std::memcpy(&raw, &flag, 1);
    return raw <= 1;
  };
  int32_t terminated = 0;
  for (int32_t a = 0; a < num_agents_; ++a) {
    const Agent& agent = agents[a];
    const bool ok = is_bool(agent.shield) && is_bool(agent.last_action_succeeded) && is_bool(agent.terminated) &&
                    grid.inside(agent.row, agent.col) && static_cast<uint8_t>(agent.orientation) <= 3 &&
                    agent.group < rules_.num_groups() && agent.body < rules_.bodies.size() &&
                    agent.glyph <= rules_.glyphs && agent.bond_target >= -1 && agent.bond_target < num_agents_ &&
                    agent.last_action >= -1 && agent.last_action < num_actions() &&
                    (agent.terminated || grid.at(agent.row, agent.col) == agent_cell(a));
    if (!ok) in.fail("agents[" + std::to_string(a) + "]: inconsistent with the rules or the grid");
    const std::string name = "agents[" + std::to_string(a) + "]";
    // Groups are fixed by the rules (kinship and observations follow them); a body is the group's own or its posture.
    if (agent.group != game_->agent_groups()[a])
      in.fail(name + ".group: " + std::to_string(agent.group) + ", but the rules put agent " + std::to_string(a) +
              " in group " + std::to_string(game_->agent_groups()[a]));
    const int32_t posture = rules_.posture_body[agent.group];
    if (agent.body != agent.group && agent.body != posture)
      in.fail(name + ".body: " + std::to_string(agent.body) + ", neither its group's body (" +
              std::to_string(agent.group) + ") nor its posture body (" +
              (posture < 0 ? std::string("none") : std::to_string(posture)) + ")");
    if (agent.bond_target == a) in.fail(name + ".bond_target: the agent itself");
    // Step counters the engine subtracts from the current step: bounded, so no difference can overflow.
    if (agent.frozen_until < 0 || agent.frozen_until > step + 1 + rules_.combat.freeze_steps)
      in.fail("agents[" + std::to_string(a) + "].frozen_until: outside [0, step + 1 + combat.freeze_steps]");
    if (agent.bond_step < 0 || agent.bond_step > step)
      in.fail("agents[" + std::to_string(a) + "].bond_step: outside [0, step]");
    // Counters the engine increments: at most one a step (and the rules' cap), so the next one cannot overflow.
    const int32_t steps_run = step;  // a plain local: C++17 lambdas cannot capture a structured binding (clang)
    auto require_count = [&](const char* field, int32_t value, int32_t cap, const char* cap_name) {
      const int32_t high = cap > 0 ? std::min(steps_run, cap) : steps_run;
      if (value < 0 || value > high)
        in.fail(name + "." + field + ": " + std::to_string(value) + " outside [0, " + std::to_string(high) +
                "] (one a step at most" + (cap > 0 ? std::string(", and ") + cap_name : std::string()) + ")");
    };
    require_count("walls_built", agent.walls_built, rules_.build.max_walls_per_agent, "build.max_walls_per_agent");
    require_count("walls_destroyed", agent.walls_destroyed, rules_.build.max_destroys_per_agent,
                  "build.max_destroys_per_agent");
    const std::vector<int32_t>& caps = rules_.bodies[agent.body].resource_caps;
    for (int32_t r = 0; r < num_resources(); ++r) {
      const int32_t amount = inventory[static_cast<size_t>(a) * num_resources() + r];
      if (amount < 0 || amount > caps[r])
        in.fail("inventories[" + std::to_string(a) + "][" + rules_.resources[r] + "]: " + std::to_string(amount) +
                " outside [0, " + std::to_string(caps[r]) + "] (the body's cap)");
    }
    terminated += agent.terminated ? 1 : 0;
  }
  if (terminated != num_terminated) in.fail("num_terminated: does not match the agents");
  std::vector<uint8_t> recipe_seen(rules_.converters.size(), 0);
  for (int32_t recipe : recipe_of_kind) {
    if (recipe < 0 || recipe >= static_cast<int32_t>(rules_.converters.size())) in.fail("recipe_of_kind: no such recipe");
    if (recipe_seen[recipe]++) in.fail("recipe_of_kind: not a permutation of the converter kinds");
  }
  for (size_t k = 0; k < recipe_of_kind.size() && !rules_.shuffle_recipes; ++k)
    if (recipe_of_kind[k] != static_cast<int32_t>(k)) in.fail("recipe_of_kind: shuffled, but these rules do not shuffle");
  if (!rules_.recipe_pool.empty() &&
      std::find(rules_.recipe_pool.begin(), rules_.recipe_pool.end(), recipe_of_kind) == rules_.recipe_pool.end())
    in.fail("recipe_of_kind: not one of the rules' recipe_pool");
  for (float value : raw_rewards)
    if (!std::isfinite(value)) in.fail("raw_rewards: not a finite number");
  for (double value : stats)  // VecWorld hands episode stats out as float32
    if (!(std::fabs(value) <= FLT_MAX)) in.fail("stats: not a finite number in float32's range");
  int32_t max_cooldown = 0;
  for (const ConverterRules& recipe : rules_.converters) max_cooldown = std::max(max_cooldown, recipe.cooldown);
  std::vector<uint8_t> seen(static_cast<size_t>(num_agents_), 0);
  for (size_t i = 0; i < converters.size(); ++i) {
    const Converter& converter = converters[i];
    bool ok = grid.inside(converter.row, converter.col) && converter.kind < rules_.converters.size() &&
              grid.at(converter.row, converter.col) == converter_cell(num_agents_, static_cast<int32_t>(i)) &&
              converter.pending_step <= step && converter.pending_step >= -1 && converter.ready_step >= 0 &&
              converter.ready_step <= step + 1 + max_cooldown && converter.uses >= 0;
    // Between steps a converter never holds a full group of waiting users (the last one completes and clears it).
    ok = ok && converter.pending_count >= 0 &&
         converter.pending_count < rules_.converters[recipe_of_kind[converter.kind]].users_required;
    std::fill(seen.begin(), seen.end(), 0);
    for (int32_t k = 0; ok && k < converter.pending_count; ++k) {
      const int32_t user = converter.pending[k];
      ok = user >= 0 && user < num_agents_ && !seen[user];
      if (ok) seen[user] = 1;
    }
    if (!ok) in.fail("converters[" + std::to_string(i) + "]: inconsistent with the rules or the grid");
    // One use a step at most, and its recipe's max_uses: the next ++uses cannot overflow.
    const int32_t max_uses = rules_.converters[recipe_of_kind[converter.kind]].max_uses;
    const int32_t high = max_uses > 0 ? std::min(step, max_uses) : step;
    if (converter.uses > high)
      in.fail("converters[" + std::to_string(i) + "].uses: " + std::to_string(converter.uses) + " outside [0, " +
              std::to_string(high) + "] (one use a step at most" + (max_uses > 0 ? ", and its max_uses)" : ")"));
  }
  // With the checks of each object above (it stands where it says), every object id on the grid is on exactly one
  // cell: a second one would be a ghost that others can face, attack, bond with or use.
  for (int32_t r = 0; r < height(); ++r)
    for (int32_t c = 0; c < width(); ++c) {
      const int32_t object = static_cast<int32_t>(grid.at(r, c)) - kFirstObjectCell;
      if (object < 0) continue;
      const bool agent = object < num_agents_;
      const int32_t row = agent ? agents[object].row : converters[object - num_agents_].row;
      const int32_t col = agent ? agents[object].col : converters[object - num_agents_].col;
      const std::string what = agent ? "agent " + std::to_string(object)
                                     : "converter " + std::to_string(object - num_agents_);
      const std::string where = "grid.cells: (" + std::to_string(r) + ", " + std::to_string(c) + ") holds " + what;
      if (agent && agents[object].terminated) in.fail(where + ", which has reached the goal and left the grid");
      if (row != r || col != c)
        in.fail(where + ", which stands at (" + std::to_string(row) + ", " + std::to_string(col) + ")");
    }
  std::fill(seen.begin(), seen.end(), 0);
  for (int32_t agent : order) {
    if (agent < 0 || agent >= num_agents_ || seen[agent]) in.fail("action_order: not a permutation of the agents");
    seen[agent] = 1;
  }
  return loaded;
}

}  // namespace gridenv
