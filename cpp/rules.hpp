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
//   bodies             energy profiles: action energy costs[kNumActionKinds], resource caps[R], initial
//                      inventory[R], energy regenerated per step. Group g starts in body g; posture_body[g] is the
//                      body that switch_body toggles to (-1: none)
//   actions            the flat Discrete action table: index -> (kind, argument)
//   combat             attack: freeze_steps (the target's actions do nothing), steal_fraction of each stealable
//                      resource (rounded down, limited by the attacker's room)
//   shield             upkeep (energy per step while raised; the shield drops when it cannot be paid),
//                      absorb_cost (energy the target loses when its shield absorbs an attack)
//   share              resource index and amount given by `share`
//   glyphs, markers    number of glyphs and marker kinds; marker_duration (steps a marker stays visible)
//   build              build_cost[R] taken from the builder; max_walls_per_agent built and max_destroys_per_agent
//                      destroyed per episode (0 = unlimited)
//   kinship            the reward-sharing scheme (kinship.hpp)
//   max_steps          episode length; all agents are truncated when the step counter reaches it
//   obs_height/width   egocentric observation window, odd numbers, centred on the agent
//   agents_per_group   group sizes; agents are numbered group by group (a top-level ASCII map numbers its own)
//   goal_resource/_amount  an agent terminates once it holds goal_amount of goal_resource (-1: never)
//   shuffle_recipes    permute the converters' recipes (inputs, outputs, cooldown, users) among the kinds each
//                      reset, so what a converter does must be found out in-context
//   recipe_pool        with shuffle_recipes: the permutations a reset may draw (uniformly), each a recipe index per
//                      kind; empty: any permutation. A held-out split keeps evaluation recipes out of training.
//   map                the layout generator and its parameters (MapRules)
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
  int32_t users_required = 1;    // agents that must use it in the same step (each pays inputs, each gets outputs)
};

struct BodyRules {
  std::vector<int32_t> action_costs;       // [kNumActionKinds] energy per action
  std::vector<int32_t> resource_caps;      // [R] inventory cap per resource (energy cap at index 0)
  std::vector<int32_t> initial_inventory;  // [R]
  int32_t energy_regen = 0;                // energy gained per step, up to the cap
};

struct CombatRules {
  int32_t freeze_steps = 0;
  float steal_fraction = 0.0f;
  std::vector<uint8_t> stealable;  // [R] 1 if attacks steal this resource
};

struct ShieldRules {
  int32_t upkeep = 0;
  int32_t absorb_cost = 0;
};

struct ShareRules {
  int32_t resource = 0;
  int32_t amount = 0;
};

struct BuildRules {
  std::vector<int32_t> cost;  // [R]
  int32_t max_walls_per_agent = 0;
  int32_t max_destroys_per_agent = 0;
};

enum class KinshipScheme : uint8_t { kSelfish = 0, kTeams, kRandom, kClans, kBonds };

struct KinshipRules {
  KinshipScheme scheme = KinshipScheme::kSelfish;
  bool normalize_rows = true;  // r'_i = sum_j K_ij r_j / sum_j K_ij
  float self_weight = 1.0f;
  float kin_weight = 0.5f;                   // teams: weight between members of one group
  float beta_a = 1.0f, beta_b = 1.0f;        // random: pairwise weights ~ Beta(a, b) each episode
  int32_t family_size = 2, families_per_clan = 2, clans_per_tribe = 2;  // clans: nesting by agent id
  float family_weight = 0.5f, clan_weight = 0.25f, tribe_weight = 0.125f;
  int32_t bond_window = 3;    // bonds: steps within which both must choose bond
  float bond_weight = 1.0f;   // kinship of a bonded pair
  int32_t bond_cost = 0;      // energy each partner pays when the bond forms
};

enum class MapGenerator : uint8_t { kRandom = 0, kAscii, kRooms, kMaze, kCave, kComposite };
enum class MazeAlgorithm : uint8_t { kBacktracker = 0, kKruskal };

// A map generator and its parameters (map_gen.hpp). Every generator but `ascii` draws a walled layout, then places
// `agents` spawn points and converter_counts converters on distinct free cells, all from the world's RNG.
struct MapRules {
  MapGenerator generator = MapGenerator::kRandom;
  int32_t width = 0;                      // ascii: from the text; composite: derived from the parts
  int32_t height = 0;
  std::string ascii;                      // ascii: `height` lines of `width` characters, no separators
  int32_t agents = 0;                     // spawn points placed by this map (not ascii: its digits are its agents)
  std::vector<int32_t> converter_counts;  // [converter kinds], not ascii
  double wall_density = 0.0;              // random: chance an interior cell is a wall
  int32_t room_rows = 2, room_cols = 2;   // rooms: a grid of rooms, one door in every wall between neighbours
  MazeAlgorithm maze_algorithm = MazeAlgorithm::kBacktracker;
  int32_t corridor_width = 1;             // maze: width of corridors (walls are 1 thick)
  double cave_fill = 0.45;                // cave: initial wall chance
  int32_t cave_steps = 4;                 // cave: smoothing passes; then only the largest open region is kept
  std::vector<MapRules> parts;            // composite: maps laid out in a grid, `columns` per row
  int32_t columns = 1;
};

struct GameRules {
  std::vector<std::string> resources;
  std::vector<float> resource_rewards;
  std::vector<ConverterRules> converters;
  std::vector<BodyRules> bodies;      // body g is group g's starting body; more bodies may follow for postures
  std::vector<int32_t> posture_body;  // [groups] body index switch_body toggles to, or -1
  std::vector<ActionSpec> actions;
  CombatRules combat;
  ShieldRules shield;
  ShareRules share;
  int32_t glyphs = 0;
  int32_t markers = 0;
  int32_t marker_duration = 0;
  BuildRules build;
  KinshipRules kinship;
  std::vector<int32_t> agents_per_group;  // agents are numbered group by group (empty for a top-level ascii map)
  int32_t goal_resource = -1;             // an agent terminates once it holds goal_amount of this (-1: never)
  int32_t goal_amount = 0;
  bool shuffle_recipes = false;           // permute the converters' recipes among the kinds at every reset
  std::vector<std::vector<int32_t>> recipe_pool;  // the permutations shuffle_recipes draws from (empty: all)
  int32_t max_steps = 1000;
  int32_t obs_height = 11;
  int32_t obs_width = 11;
  MapRules map;

  int32_t num_groups() const { return static_cast<int32_t>(posture_body.size()); }
};

// Throws std::invalid_argument naming the field and the allowed values.
void validate_rules(const GameRules& rules);

// A 64-bit FNV-1a digest of every field of the rules (the map's too), in declaration order: equal rules give equal
// digests in every process and build. Saved states carry it, so a state only loads under the rules it was saved by.
uint64_t rules_digest(const GameRules& rules);

}  // namespace gridenv
