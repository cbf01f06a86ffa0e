// Rules: the immutable description of a game, built once from the Python config and never changed by stepping.
// Everything mutable lives in World; what is derived from the rules (agents, names, channels, stats) lives in Game.
// Every tunable scalar is declared once, with its default, bounds and meaning, in schema.hpp: the structs below take
// their defaults from there, validate_rules checks the bounds, and Python's config models are built from the same
// rows. The engine validates every value it is given (validate_rules), so nothing reachable from Python can put it
// in an invalid state.
//
// Structure (the scalars' meanings are in schema.hpp):
//   resources          names of the resource types; resources[0] is always "energy", the budget actions are paid from
//   resource_rewards   reward per unit of each resource an agent *produces* at a converter (e.g. heart: 1.0)
//   converters         object kinds that turn inputs into outputs (mine: {} -> diamond, charger: diamond -> energy,
//                      altar: energy -> heart); per kind: name, map symbol, inputs[R], outputs[R] and the schema's
//                      scalars (cooldown, max_uses, users_required)
//   bodies             energy profiles: action energy costs[kNumActionKinds], resource caps[R], initial
//                      inventory[R], energy regenerated per step. Group g starts in body g; posture_body[g] is the
//                      body that switch_body toggles to (-1: none)
//   actions            the flat Discrete action table: index -> (kind, argument)
//   combat             attack: freeze_steps (the target's actions do nothing), steal_fraction of each stealable
//                      resource (rounded down, limited by the attacker's room)
//   shield             upkeep (energy per step while raised), absorb_cost (energy lost per absorbed attack)
//   share              the `share` action: resource index and amount given to the faced agent
//   glyphs, markers    number of glyphs and marker kinds; marker_duration (steps a marker stays visible)
//   build              build_cost[R] taken from the builder; max_walls_per_agent built and max_destroys_per_agent
//                      destroyed per episode (0 = unlimited)
//   kinship            the reward-mixing scheme (kinship.hpp)
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
#include "schema.hpp"

namespace gridenv {

struct ConverterRules {
  std::string name;
  char symbol = '?';
  std::vector<int32_t> inputs;   // [R] amounts taken from the user
  std::vector<int32_t> outputs;  // [R] amounts given to the user
  GRIDENV_CONVERTER_FIELDS(GRIDENV_DECLARE_FIELD)
};

struct BodyRules {
  std::vector<int32_t> action_costs;       // [kNumActionKinds] energy per action
  std::vector<int32_t> resource_caps;      // [R] inventory cap per resource (energy cap at index 0)
  std::vector<int32_t> initial_inventory;  // [R]
  GRIDENV_BODY_FIELDS(GRIDENV_DECLARE_FIELD)
};

struct CombatRules {
  GRIDENV_COMBAT_FIELDS(GRIDENV_DECLARE_FIELD)
  std::vector<uint8_t> stealable;  // [R] 1 if attacks steal this resource
};

struct ShieldRules {
  GRIDENV_SHIELD_FIELDS(GRIDENV_DECLARE_FIELD)
};

struct ShareRules {
  int32_t resource = 0;  // the resource given (index; energy by default)
  GRIDENV_SHARE_FIELDS(GRIDENV_DECLARE_FIELD)
};

struct BuildRules {
  std::vector<int32_t> cost;  // [R]
  GRIDENV_BUILD_FIELDS(GRIDENV_DECLARE_FIELD)
};

enum class KinshipScheme : uint8_t { kSelfish = 0, kTeams, kRandom, kClans, kBonds };

struct KinshipRules {
  KinshipScheme scheme = KinshipScheme::kSelfish;
  GRIDENV_KINSHIP_FIELDS(GRIDENV_DECLARE_FIELD)
};

enum class MapGenerator : uint8_t { kRandom = 0, kAscii, kRooms, kMaze, kCave, kComposite };
enum class MazeAlgorithm : uint8_t { kBacktracker = 0, kKruskal };

// A map generator and its parameters (map_gen.hpp). Every generator but `ascii` draws a walled layout, then places
// `agents` spawn points and converter_counts converters on distinct free cells, all from the world's RNG.
struct MapRules {
  MapGenerator generator = MapGenerator::kRandom;
  MazeAlgorithm maze_algorithm = MazeAlgorithm::kBacktracker;
  std::string ascii;                      // ascii: `height` lines of `width` characters, no separators
  int32_t agents = 0;                     // spawn points placed by this map (not ascii: its digits are its agents)
  std::vector<int32_t> converter_counts;  // [converter kinds], not ascii
  std::vector<MapRules> parts;            // composite: maps laid out in a grid, `columns` per row
  GRIDENV_MAP_FIELDS(GRIDENV_DECLARE_FIELD)
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
  BuildRules build;
  KinshipRules kinship;
  std::vector<int32_t> agents_per_group;  // agents are numbered group by group (empty for a top-level ascii map)
  int32_t goal_resource = -1;             // an agent terminates once it holds goal_amount of this (-1: never)
  int32_t goal_amount = 0;
  std::vector<std::vector<int32_t>> recipe_pool;  // the permutations shuffle_recipes draws from (empty: all)
  GRIDENV_GAME_FIELDS(GRIDENV_DECLARE_FIELD)
  MapRules map;

  int32_t num_groups() const { return static_cast<int32_t>(posture_body.size()); }
};

// visit_fields(object, visit) calls visit(name, member, low, high, bounds) for every schema scalar of a rules struct
// (schema.hpp), in table order; GameRules visits its own scalars only, not those of its members.
#define GRIDENV_DEFINE_VISIT_FIELDS(Struct, FIELDS)                  \
  template <typename Visit>                                          \
  void visit_fields(const Struct& object, Visit&& visit) {           \
    FIELDS(GRIDENV_VISIT_FIELD)                                      \
  }                                                                  \
  template <typename Visit>                                          \
  void visit_fields(Struct& object, Visit&& visit) {                 \
    FIELDS(GRIDENV_VISIT_FIELD)                                      \
  }
GRIDENV_DEFINE_VISIT_FIELDS(ConverterRules, GRIDENV_CONVERTER_FIELDS)
GRIDENV_DEFINE_VISIT_FIELDS(BodyRules, GRIDENV_BODY_FIELDS)
GRIDENV_DEFINE_VISIT_FIELDS(CombatRules, GRIDENV_COMBAT_FIELDS)
GRIDENV_DEFINE_VISIT_FIELDS(ShieldRules, GRIDENV_SHIELD_FIELDS)
GRIDENV_DEFINE_VISIT_FIELDS(ShareRules, GRIDENV_SHARE_FIELDS)
GRIDENV_DEFINE_VISIT_FIELDS(BuildRules, GRIDENV_BUILD_FIELDS)
GRIDENV_DEFINE_VISIT_FIELDS(KinshipRules, GRIDENV_KINSHIP_FIELDS)
GRIDENV_DEFINE_VISIT_FIELDS(MapRules, GRIDENV_MAP_FIELDS)
GRIDENV_DEFINE_VISIT_FIELDS(GameRules, GRIDENV_GAME_FIELDS)
#undef GRIDENV_DEFINE_VISIT_FIELDS

// Throws std::invalid_argument naming the field and the allowed values.
void validate_rules(const GameRules& rules);

// Throws std::invalid_argument naming `field` when `value` lies outside the bounds.
void require_bounds(const std::string& field, double value, double low, double high, Bounds bounds);

// Checks every schema scalar of `object` against its bounds; `prefix` names the object in messages ("kinship.").
template <typename Rules>
void validate_fields(const Rules& object, const std::string& prefix) {
  visit_fields(object, [&](const char* name, auto value, double low, double high, Bounds bounds) {
    require_bounds(prefix + name, static_cast<double>(value), low, high, bounds);
  });
}

// The rules as bytes and back (magic, format version, every field, checksum): how a rules file made by Python
// (`gridenv show NAME --format rules --out FILE`) reaches C++ programs such as gridenv_bench. decode_rules checks the
// bytes (checksum, lengths) and the result (validate_rules); it throws std::invalid_argument naming what is wrong.
std::vector<uint8_t> encode_rules(const GameRules& rules);
GameRules decode_rules(const uint8_t* data, size_t size);

// A 64-bit FNV-1a digest of every field of the rules (the map's too), in declaration order: equal rules give equal
// digests in every process and build. Saved states carry it, so a state only loads under the rules it was saved by.
uint64_t rules_digest(const GameRules& rules);

}  // namespace gridenv
