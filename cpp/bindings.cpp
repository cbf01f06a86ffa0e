// gridenv._core: translates between Python and the engine; the rules, their checks and everything derived from them
// live in cpp/ (schema.hpp declares the fields; Game derives names, spaces and stats). Nothing here validates a rule
// or computes a game value: it converts types, checks the shapes of caller-owned buffers and releases the GIL.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "actions.hpp"
#include "game.hpp"
#include "rules.hpp"
#include "schema.hpp"
#include "vec_world.hpp"
#include "world.hpp"

namespace nb = nanobind;
using namespace gridenv;

namespace {

template <typename T, typename... Shape>
using CpuArray = nb::ndarray<T, nb::c_contig, nb::device::cpu, Shape...>;

void require_shape(const char* name, size_t ndim, const int64_t* shape, std::initializer_list<size_t> expected) {
  bool ok = ndim == expected.size();
  size_t i = 0;
  for (size_t want : expected) ok = ok && static_cast<size_t>(shape[i++]) == want;
  if (!ok) {
    std::string want_text = "(", got_text = "(";
    for (size_t w : expected) want_text += std::to_string(w) + ",";
    for (size_t d = 0; d < ndim; ++d) got_text += std::to_string(shape[d]) + ",";
    throw std::invalid_argument(std::string(name) + ": expected shape " + want_text + ") got " + got_text + ")");
  }
}

// save_state()/load_state() of World and VecWorld, as Python bytes. Loading keeps the GIL: it replaces the world's
// vectors (freeing the old ones), which the read-only accessors below may be copying from in another Python thread.
template <typename Engine>
nb::bytes save_state_bytes(const Engine& engine) {
  const std::vector<uint8_t> state = engine.save_state();
  return nb::bytes(reinterpret_cast<const char*>(state.data()), state.size());
}

template <typename Engine>
void load_state_bytes(Engine& engine, nb::bytes state) {
  engine.load_state(reinterpret_cast<const uint8_t*>(state.c_str()), state.size());
}

// A new numpy array of `shape` that owns its memory, filled by `fill` (the engine writes into it).
template <typename T, typename Fill>
nb::ndarray<nb::numpy, T> fill_numpy(std::initializer_list<size_t> shape, Fill&& fill) {
  size_t count = 1;
  for (size_t extent : shape) count *= extent;
  T* data = new T[count > 0 ? count : 1]();
  nb::capsule owner(data, [](void* p) noexcept { delete[] static_cast<T*>(p); });
  fill(data);
  return nb::ndarray<nb::numpy, T>(data, shape, owner);
}

// A numpy copy of an engine vector, viewed with `shape`.
template <typename T>
nb::ndarray<nb::numpy, T> copy_to_numpy(const std::vector<T>& values, std::initializer_list<size_t> shape) {
  return fill_numpy<T>(shape, [&](T* out) { std::copy(values.begin(), values.end(), out); });
}

std::vector<std::pair<std::string, int32_t>> as_pairs(const std::vector<ObservedFeature>& features) {
  std::vector<std::pair<std::string, int32_t>> pairs;
  for (const auto& feature : features) pairs.emplace_back(feature.name, feature.high);
  return pairs;
}

// --- the schema (schema.hpp) as Python dicts: {concept: {field: {type, default, low, high, bounds, doc}}} ---------
template <typename T>
nb::dict schema_row(T default_value, double low, double high, Bounds bounds, const char* doc) {
  nb::dict row;
  if constexpr (std::is_same_v<T, bool>) row["type"] = "bool";
  else if constexpr (std::is_integral_v<T>) row["type"] = "int";
  else row["type"] = "float";
  if constexpr (std::is_integral_v<T>) {
    row["default"] = default_value;
    row["low"] = static_cast<int64_t>(low);
    row["high"] = static_cast<int64_t>(high);
  } else {
    row["default"] = static_cast<double>(default_value);
    row["low"] = low;
    row["high"] = high;
  }
  row["bounds"] = bounds == Bounds::kClosed ? "closed" : bounds == Bounds::kLowOpen ? "low_open" : "high_open";
  row["doc"] = doc;
  return row;
}

#define GRIDENV_SCHEMA_ROW(type, name, default_value, low, high, bounds, doc) \
  rows[#name] = schema_row<type>(default_value, low, high, Bounds::bounds, doc);
#define GRIDENV_SCHEMA_TABLE(concept, FIELDS) \
  {                                           \
    nb::dict rows;                            \
    FIELDS(GRIDENV_SCHEMA_ROW)                \
    schema[concept] = rows;                   \
  }

void bind_schema(nb::module_& m) {
  nb::dict schema;
  GRIDENV_SCHEMA_TABLE("converter", GRIDENV_CONVERTER_FIELDS)
  GRIDENV_SCHEMA_TABLE("body", GRIDENV_BODY_FIELDS)
  GRIDENV_SCHEMA_TABLE("combat", GRIDENV_COMBAT_FIELDS)
  GRIDENV_SCHEMA_TABLE("shield", GRIDENV_SHIELD_FIELDS)
  GRIDENV_SCHEMA_TABLE("share", GRIDENV_SHARE_FIELDS)
  GRIDENV_SCHEMA_TABLE("build", GRIDENV_BUILD_FIELDS)
  GRIDENV_SCHEMA_TABLE("kinship", GRIDENV_KINSHIP_FIELDS)
  GRIDENV_SCHEMA_TABLE("game", GRIDENV_GAME_FIELDS)
  GRIDENV_SCHEMA_TABLE("map", GRIDENV_MAP_FIELDS)
  m.attr("SCHEMA") = schema;

  nb::dict limits;
  limits["max_amount"] = Limits::kMaxAmount;
  limits["max_resources"] = Limits::kMaxResources;
  limits["max_converter_kinds"] = Limits::kMaxConverterKinds;
  limits["max_converters_per_kind"] = Limits::kMaxConvertersPerKind;
  limits["max_groups"] = Limits::kMaxGroups;
  limits["max_actions"] = Limits::kMaxActions;
  limits["max_agents"] = Limits::kMaxAgents;
  limits["max_map_side"] = Limits::kMaxMapSide;
  limits["max_recipe_pool"] = Limits::kMaxRecipePool;
  m.attr("LIMITS") = limits;
  m.attr("RESERVED_MAP_SYMBOLS") = std::string(kReservedMapSymbols);

  nb::list actions;
  for (int32_t kind = 0; kind < kNumActionKinds; ++kind) {
    nb::dict action;
    action["name"] = std::string(kActionNames[kind]);
    action["default_cost"] = kDefaultActionCosts[kind];
    action["takes_index"] = takes_index(static_cast<ActionKind>(kind));
    actions.append(action);
  }
  m.attr("ACTIONS") = actions;
}

// def_rw for every schema field of a rules struct; `cls` is its nb::class_ and `Bound` the struct.
#define GRIDENV_BIND_FIELD(type, name, default_value, low, high, bounds, doc) cls.def_rw(#name, &Bound::name, doc);
#define GRIDENV_BIND_FIELDS(Struct, FIELDS) \
  [](nb::class_<Struct> cls) {              \
    using Bound = Struct;                   \
    FIELDS(GRIDENV_BIND_FIELD)              \
    return cls;                             \
  }(nb::class_<Struct>(m, #Struct).def(nb::init<>()))

void bind_rules(nb::module_& m) {
  GRIDENV_BIND_FIELDS(ConverterRules, GRIDENV_CONVERTER_FIELDS)
      .def_rw("name", &ConverterRules::name)
      .def_prop_rw(
          "symbol", [](const ConverterRules& c) { return std::string(1, c.symbol); },
          [](ConverterRules& c, const std::string& s) {
            if (s.size() != 1) throw std::invalid_argument("converter symbol: one character, got '" + s + "'");
            c.symbol = s[0];  // which characters may be symbols: validate_rules
          })
      .def_rw("inputs", &ConverterRules::inputs)
      .def_rw("outputs", &ConverterRules::outputs);
  GRIDENV_BIND_FIELDS(BodyRules, GRIDENV_BODY_FIELDS)
      .def_rw("action_costs", &BodyRules::action_costs)
      .def_rw("resource_caps", &BodyRules::resource_caps)
      .def_rw("initial_inventory", &BodyRules::initial_inventory);

  nb::enum_<MapGenerator>(m, "MapGenerator")
      .value("random", MapGenerator::kRandom)
      .value("ascii", MapGenerator::kAscii)
      .value("rooms", MapGenerator::kRooms)
      .value("maze", MapGenerator::kMaze)
      .value("cave", MapGenerator::kCave)
      .value("composite", MapGenerator::kComposite);
  nb::enum_<MazeAlgorithm>(m, "MazeAlgorithm")
      .value("backtracker", MazeAlgorithm::kBacktracker)
      .value("kruskal", MazeAlgorithm::kKruskal);
  GRIDENV_BIND_FIELDS(MapRules, GRIDENV_MAP_FIELDS)
      .def_rw("generator", &MapRules::generator)
      .def_rw("ascii", &MapRules::ascii)
      .def_rw("agents", &MapRules::agents)
      .def_rw("converter_counts", &MapRules::converter_counts)
      .def_rw("maze_algorithm", &MapRules::maze_algorithm)
      .def_rw("parts", &MapRules::parts);

  GRIDENV_BIND_FIELDS(CombatRules, GRIDENV_COMBAT_FIELDS).def_rw("stealable", &CombatRules::stealable);
  GRIDENV_BIND_FIELDS(ShieldRules, GRIDENV_SHIELD_FIELDS);
  GRIDENV_BIND_FIELDS(ShareRules, GRIDENV_SHARE_FIELDS).def_rw("resource", &ShareRules::resource);
  GRIDENV_BIND_FIELDS(BuildRules, GRIDENV_BUILD_FIELDS).def_rw("cost", &BuildRules::cost);

  nb::enum_<KinshipScheme>(m, "KinshipScheme")
      .value("selfish", KinshipScheme::kSelfish)
      .value("teams", KinshipScheme::kTeams)
      .value("random", KinshipScheme::kRandom)
      .value("clans", KinshipScheme::kClans)
      .value("bonds", KinshipScheme::kBonds);
  GRIDENV_BIND_FIELDS(KinshipRules, GRIDENV_KINSHIP_FIELDS).def_rw("scheme", &KinshipRules::scheme);

  GRIDENV_BIND_FIELDS(GameRules, GRIDENV_GAME_FIELDS)
      .def_rw("resources", &GameRules::resources)
      .def_rw("resource_rewards", &GameRules::resource_rewards)
      .def_rw("converters", &GameRules::converters)
      .def_rw("bodies", &GameRules::bodies)
      .def_rw("posture_body", &GameRules::posture_body)
      .def_prop_rw(
          "actions",
          [](const GameRules& g) {
            std::vector<std::pair<int32_t, int32_t>> specs;
            for (const ActionSpec& spec : g.actions) specs.emplace_back(static_cast<int32_t>(spec.kind), spec.arg);
            return specs;
          },
          [](GameRules& g, const std::vector<std::pair<int32_t, int32_t>>& specs) {
            g.actions.clear();
            for (auto [kind, arg] : specs) g.actions.push_back(ActionSpec{static_cast<ActionKind>(kind), arg});
          },
          "The action table as (kind index, argument) pairs.")
      .def_rw("combat", &GameRules::combat)
      .def_rw("shield", &GameRules::shield)
      .def_rw("share", &GameRules::share)
      .def_rw("build", &GameRules::build)
      .def_rw("kinship", &GameRules::kinship)
      .def_rw("agents_per_group", &GameRules::agents_per_group)
      .def_rw("goal_resource", &GameRules::goal_resource)
      .def_rw("goal_amount", &GameRules::goal_amount)
      .def_rw("recipe_pool", &GameRules::recipe_pool)
      .def_rw("map", &GameRules::map);

  m.def("validate_rules", &validate_rules, nb::arg("rules"),
        "Raise ValueError naming the first field of `rules` the engine refuses (what World and Game check).");
  m.def(
      "encode_rules",
      [](const GameRules& rules) {
        const std::vector<uint8_t> bytes = encode_rules(rules);
        return nb::bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      },
      nb::arg("rules"), "The rules as bytes (a rules file: what gridenv_bench reads).");
  m.def(
      "decode_rules",
      [](nb::bytes data) { return decode_rules(reinterpret_cast<const uint8_t*>(data.c_str()), data.size()); },
      nb::arg("data"), "Rules from encode_rules bytes; ValueError names what is damaged or invalid.");
}

void bind_game(nb::module_& m) {
  nb::class_<Game>(m, "Game", "The immutable side of a game: rules, agents, names, spaces and stats (cpp/game.hpp).")
      .def(nb::init<GameRules>(), nb::arg("rules"))
      .def_prop_ro("rules", &Game::rules, nb::rv_policy::copy, "A copy of the (validated) rules.")
      .def_prop_ro("digest", &Game::digest)
      .def_prop_ro("num_agents", &Game::num_agents)
      .def_prop_ro("agent_groups", &Game::agent_groups)
      .def_prop_ro("agents_per_group", &Game::agents_per_group)
      .def_prop_ro("map_height", &Game::map_height)
      .def_prop_ro("map_width", &Game::map_width)
      .def_prop_ro("num_actions", &Game::num_actions)
      .def_prop_ro("action_names", &Game::action_names)
      .def_prop_ro("num_channels", &Game::num_channels)
      .def_prop_ro("channels", [](const Game& g) { return as_pairs(g.channels()); },
                   "[(name, upper bound)] per observation channel, in channel order (observations.hpp).")
      .def_prop_ro("self_features", [](const Game& g) { return as_pairs(g.self_features()); },
                   "[(name, upper bound)] per feature of the self plane, in its order.")
      .def_prop_ro("stat_names", [](const Game& g) { return g.stats().names; })
      .def("fill_observation_high",
           [](const Game& g, CpuArray<uint8_t> out) {
             require_shape("high", out.ndim(), out.shape_ptr(),
                           {static_cast<size_t>(g.num_channels()), static_cast<size_t>(g.rules().obs_height),
                            static_cast<size_t>(g.rules().obs_width)});
             g.fill_observation_high(out.data());
           },
           nb::arg("out").noconvert(), "Write every observation value's upper bound into out, uint8 (C, H, W).");
}

void bind_world(nb::module_& m) {
  nb::class_<World>(m, "World")
      .def(
          "__init__", [](World* self, std::shared_ptr<Game> game) { new (self) World(std::move(game)); },
          nb::arg("game"), "A world of `game` (shared, never copied).")
      .def(nb::init<GameRules>(), nb::arg("rules"), "A world with a game of its own made from `rules`.")
      .def(
          "bind_buffers",
          [](World& world, CpuArray<uint8_t> observations, CpuArray<int32_t> actions, CpuArray<float> rewards,
             CpuArray<bool> terminals, CpuArray<bool> truncations) {
            const size_t n = world.num_agents();
            const auto& rules = world.rules();
            require_shape("observations", observations.ndim(), observations.shape_ptr(),
                          {n, static_cast<size_t>(world.num_channels()), static_cast<size_t>(rules.obs_height),
                           static_cast<size_t>(rules.obs_width)});
            require_shape("actions", actions.ndim(), actions.shape_ptr(), {n});
            require_shape("rewards", rewards.ndim(), rewards.shape_ptr(), {n});
            require_shape("terminals", terminals.ndim(), terminals.shape_ptr(), {n});
            require_shape("truncations", truncations.ndim(), truncations.shape_ptr(), {n});
            world.bind_buffers(observations.data(), actions.data(), rewards.data(), terminals.data(),
                               truncations.data());
          },
          // The world writes into these arrays: keep each alive as long as the world.
          // noconvert: a wrong dtype or layout must raise, not bind a temporary copy the caller never sees.
          nb::arg("observations").noconvert(), nb::arg("actions").noconvert(), nb::arg("rewards").noconvert(),
          nb::arg("terminals").noconvert(), nb::arg("truncations").noconvert(), nb::keep_alive<1, 2>(), nb::keep_alive<1, 3>(), nb::keep_alive<1, 4>(),
          nb::keep_alive<1, 5>(), nb::keep_alive<1, 6>(),
          "Bind caller-owned buffers: observations uint8 (agents, C, H, W), actions int32 (agents,), rewards "
          "float32 (agents,), terminals and truncations bool (agents,). All C-contiguous, exact dtypes.")
      .def("reset", [](World& w, uint64_t seed) { w.reset(seed); }, nb::arg("seed"),
           nb::call_guard<nb::gil_scoped_release>())
      .def("reset_next", [](World& w) { w.reset_next(); }, nb::call_guard<nb::gil_scoped_release>(),
           "Reset with a seed drawn from the world's own RNG.")
      .def("step", &World::step, nb::call_guard<nb::gil_scoped_release>())
      .def("fill_action_mask",
           [](const World& w, CpuArray<uint8_t> out) {
             const auto guard = w.exclusive("World.fill_action_mask");
             require_shape("action_mask", out.ndim(), out.shape_ptr(),
                           {static_cast<size_t>(w.num_agents()), static_cast<size_t>(w.num_actions())});
             w.fill_action_mask(out.data());
           },
           nb::arg("out").noconvert())
      .def_prop_ro("num_agents", &World::num_agents)
      .def_prop_ro("num_actions", &World::num_actions)
      .def_prop_ro("num_channels", &World::num_channels)
      .def_prop_ro("step_count", &World::step_count)
      .def_prop_ro("episode_over", &World::episode_over)
      .def_prop_ro("height", &World::height)
      .def_prop_ro("width", &World::width)
      .def_prop_ro("memory_bytes", &World::memory_bytes)
      .def("save_state", &save_state_bytes<World>,
           "The episode's whole mutable state as bytes (load_state continues from it exactly).")
      .def("load_state", &load_state_bytes<World>, nb::arg("state"),
           "Continue from save_state() bytes of a world with the same rules; writes observations.")
      .def_prop_ro("action_order",
                   [](const World& w) {
                     const auto guard = w.exclusive("World.action_order");
                     return copy_to_numpy(w.action_order(), {w.action_order().size()});
                   },
                   "Agent ids in the order the last step applied them.", nb::rv_policy::automatic)
      .def_prop_ro("recipe_of_kind",
                   [](const World& w) {
                     const auto guard = w.exclusive("World.recipe_of_kind");
                     return copy_to_numpy(w.recipe_of_kind(), {w.recipe_of_kind().size()});
                   },
                   "Per converter kind, the index of the recipe it follows this episode (shuffle_recipes).", nb::rv_policy::automatic)
      .def_prop_ro("raw_rewards",
                   [](const World& w) {
                     const auto guard = w.exclusive("World.raw_rewards");
                     return copy_to_numpy(w.raw_rewards(), {w.raw_rewards().size()});
                   },
                   "This step's rewards before kinship mixing, float32 (agents,).", nb::rv_policy::automatic)
      .def("kinship_matrix",
           [](const World& w) {
             const auto guard = w.exclusive("World.kinship_matrix");
             const size_t n = w.num_agents();
             return copy_to_numpy(w.kinship().matrix(), {n, n});
           },
           "The episode's kinship weights K, float32 (agents, agents), before row normalisation.")
      .def("agent_positions",
           [](const World& w) {
             const auto guard = w.exclusive("World.agent_positions");
             return fill_numpy<int32_t>({static_cast<size_t>(w.num_agents()), 3},
                                        [&](int32_t* out) { w.fill_agent_positions(out); });
           },
           "int32 (agents, 3): row, col, orientation (0 north, 1 south, 2 west, 3 east).")
      .def("agents_on_grid",
           [](const World& w) {
             const auto guard = w.exclusive("World.agents_on_grid");
             return fill_numpy<bool>({static_cast<size_t>(w.num_agents())},
                                     [&](bool* out) { w.fill_agents_on_grid(out); });
           },
           "bool (agents,): False once the agent reached the goal and left the grid for the rest of the episode.")
      .def("agent_states",
           [](const World& w) {
             const auto guard = w.exclusive("World.agent_states");
             return fill_numpy<int32_t>({static_cast<size_t>(w.num_agents()), 5},
                                        [&](int32_t* out) { w.fill_agent_states(out); });
           },
           "int32 (agents, 5): body, glyph + 1, shield, steps still frozen, walls built.")
      .def("inventories",
           [](const World& w) {
             const auto guard = w.exclusive("World.inventories");
             return copy_to_numpy(w.inventories(), {static_cast<size_t>(w.num_agents()),
                                                    static_cast<size_t>(w.num_resources())});
           },
           "int32 (agents, resources): each agent's inventory, energy first.")
      .def("stats",
           [](const World& w) {
             const auto guard = w.exclusive("World.stats");
             return copy_to_numpy(w.stats(), {static_cast<size_t>(w.num_agents()), w.game().stats().names.size()});
           },
           "float64 (agents, stats): the episode's statistics so far, aligned with Game.stat_names.")
      .def("converter_states",
           [](const World& w) {
             const auto guard = w.exclusive("World.converter_states");
             return fill_numpy<int32_t>({static_cast<size_t>(w.num_converters()), 5},
                                        [&](int32_t* out) { w.fill_converter_states(out); });
           },
           "int32 (converters, 5): row, col, kind, steps until ready, uses.")
      .def("fill_map_codes",
           [](const World& w, CpuArray<uint8_t> out) {
             const auto guard = w.exclusive("World.fill_map_codes");
             require_shape("tiles", out.ndim(), out.shape_ptr(),
                           {static_cast<size_t>(w.height()), static_cast<size_t>(w.width())});
             w.fill_map_codes(out.data());
           },
           nb::arg("out").noconvert(),
           "Write what renderers draw into out, uint8 (height, width): 0 empty, 1 wall, 2 agent, 3 + k converter kind "
           "k.");
}

void bind_vec_world(nb::module_& m) {
  nb::class_<VecWorld>(m, "VecWorld")
      .def(
          "__init__",
          [](VecWorld* self, std::shared_ptr<Game> game, int32_t num_envs, int32_t num_threads) {
            new (self) VecWorld(std::move(game), num_envs, num_threads);
          },
          nb::arg("game"), nb::arg("num_envs"), nb::arg("num_threads"), "num_envs worlds of `game`, all sharing it.")
      .def(
          "bind_buffers",
          [](VecWorld& vec, CpuArray<uint8_t> observations, CpuArray<int32_t> actions, CpuArray<float> rewards,
             CpuArray<bool> terminals, CpuArray<bool> truncations, CpuArray<uint8_t> final_observations,
             CpuArray<bool> episode_done, CpuArray<float> episode_stats, std::optional<CpuArray<uint8_t>> action_mask) {
            const World& first = vec.world(0);
            const auto& rules = first.rules();
            const size_t n = static_cast<size_t>(vec.num_worlds()) * vec.agents_per_world();
            const std::initializer_list<size_t> obs_shape = {n, static_cast<size_t>(first.num_channels()),
                                                             static_cast<size_t>(rules.obs_height),
                                                             static_cast<size_t>(rules.obs_width)};
            require_shape("observations", observations.ndim(), observations.shape_ptr(), obs_shape);
            require_shape("final_observations", final_observations.ndim(), final_observations.shape_ptr(),
                          obs_shape);
            require_shape("actions", actions.ndim(), actions.shape_ptr(), {n});
            require_shape("rewards", rewards.ndim(), rewards.shape_ptr(), {n});
            require_shape("terminals", terminals.ndim(), terminals.shape_ptr(), {n});
            require_shape("truncations", truncations.ndim(), truncations.shape_ptr(), {n});
            require_shape("episode_done", episode_done.ndim(), episode_done.shape_ptr(),
                          {static_cast<size_t>(vec.num_worlds())});
            require_shape("episode_stats", episode_stats.ndim(), episode_stats.shape_ptr(),
                          {n, first.game().stats().names.size()});
            uint8_t* mask = nullptr;
            if (action_mask) {
              require_shape("action_mask", action_mask->ndim(), action_mask->shape_ptr(),
                            {n, static_cast<size_t>(first.num_actions())});
              mask = action_mask->data();
            }
            vec.bind_buffers(observations.data(), actions.data(), rewards.data(), terminals.data(),
                             truncations.data(), final_observations.data(), episode_done.data(), episode_stats.data(),
                             mask);
          },
          nb::arg("observations").noconvert(), nb::arg("actions").noconvert(), nb::arg("rewards").noconvert(),
          nb::arg("terminals").noconvert(), nb::arg("truncations").noconvert(),
          nb::arg("final_observations").noconvert(), nb::arg("episode_done").noconvert(),
          nb::arg("episode_stats").noconvert(), nb::arg("action_mask").noconvert() = nb::none(),
          nb::keep_alive<1, 2>(), nb::keep_alive<1, 3>(), nb::keep_alive<1, 4>(), nb::keep_alive<1, 5>(),
          nb::keep_alive<1, 6>(), nb::keep_alive<1, 7>(), nb::keep_alive<1, 8>(), nb::keep_alive<1, 9>(),
          nb::keep_alive<1, 10>(), "Bind caller-owned buffers (see cpp/vec_world.hpp for shapes and dtypes).")
      .def("reset", &VecWorld::reset, nb::arg("seeds"), nb::call_guard<nb::gil_scoped_release>())
      .def("send", &VecWorld::send, nb::call_guard<nb::gil_scoped_release>())
      .def("recv", &VecWorld::recv, nb::call_guard<nb::gil_scoped_release>())
      .def("step", &VecWorld::step, nb::call_guard<nb::gil_scoped_release>())
      .def_prop_ro("num_envs", &VecWorld::num_worlds)
      .def_prop_ro("num_threads", &VecWorld::num_threads)
      .def_prop_ro("agents_per_env", &VecWorld::agents_per_world)
      .def_prop_ro("memory_bytes", &VecWorld::memory_bytes)
      .def("save_state", &save_state_bytes<VecWorld>, "Every world's state as bytes.")
      .def("load_state", &load_state_bytes<VecWorld>, nb::arg("state"),
           "Continue every world from save_state() bytes of a VecWorld of the same rules and size.")
      .def("recipe_of_kind", [](const VecWorld& v, int32_t w) { return v.world(w).recipe_of_kind(); })
      .def("step_count", [](const VecWorld& v, int32_t w) { return v.world(w).step_count(); });
}

}  // namespace

NB_MODULE(_core, m) {
  m.doc() = "gridenv C++ engine (see cpp/ for the rules of the game).";
  bind_schema(m);
  bind_rules(m);
  bind_game(m);
  bind_world(m);
  bind_vec_world(m);
}
