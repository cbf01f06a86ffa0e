// Rules: the immutable description of a game, built once from the Python config and never changed by stepping.
// Everything mutable lives in World. Defaults live in the Python config models (gridenv.config), which document them;
// the engine takes every value explicitly and validates it (validate_rules) so nothing reachable from Python can
// put it in an invalid state.
//
// Parameters:
//   resources          names of the resource types; resources[0] is always "energy", the budget actions are paid from
//   resource_rewards   reward per unit of each resource an agent *produces* at a converter (e.g. heart: 1.0)
//   converters         object kinds that turn inputs into outputs (mine: {} -> diamond, charger: diamond -> energy,
//                      altar: energy -> heart); per kind: name, map symbol, inputs[R], outputs[R], cooldown (steps
//                      the converter is unavailable after a use), max_uses (0 = unlimited)
//   bodies             per agent group: action energy costs[kNumActionKinds], resource caps[R], initial inventory[R],
//                      energy regenerated per step
//   actions            the flat Discrete action table: index -> ActionKind
//   max_steps          episode length; all agents are truncated when the step counter reaches it
//   obs_height/width   egocentric observation window, odd numbers, centred on the agent
//   map                the layout: an ASCII map, or the parameters of the random scatter generator
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actions.hpp"

namespace gridenv {

struct ConverterRules {
  std::string name;
  char symbol = '?';
  std::vector<int32_t> inputs;   // [R] amounts taken from the user
  std::vector<int32_t> outputs;  // [R] amounts given to the user
  int32_t cooldown = 0;          // steps unavailable after a use
  int32_t max_uses = 0;          // 0 = unlimited
};

struct BodyRules {
  std::vector<int32_t> action_costs;       // [kNumActionKinds] energy per action
  std::vector<int32_t> resource_caps;      // [R] inventory cap per resource (energy cap at index 0)
  std::vector<int32_t> initial_inventory;  // [R]
  int32_t energy_regen = 0;                // energy gained per step, up to the cap
};

struct MapRules {
  // ASCII layout: `height` lines of `width` characters, row-major, no separators. Empty => random scatter.
  std::string ascii;
  int32_t width = 0;
  int32_t height = 0;
  // Random scatter: a wall border, then walls with probability wall_density, then converters and agents on
  // distinct empty cells drawn from the world's RNG.
  std::vector<int32_t> agents_per_group;  // agents are numbered group by group
  std::vector<int32_t> converter_counts;  // [converter kinds]
  double wall_density = 0.0;
};

struct GameRules {
  std::vector<std::string> resources;
  std::vector<float> resource_rewards;
  std::vector<ConverterRules> converters;
  std::vector<BodyRules> bodies;  // one per group
  std::vector<ActionKind> actions;
  int32_t max_steps = 1000;
  int32_t obs_height = 11;
  int32_t obs_width = 11;
  MapRules map;
};

// Throws std::invalid_argument naming the field and the allowed values.
void validate_rules(const GameRules& rules);

}  // namespace gridenv
