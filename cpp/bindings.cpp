// gridenv._core: translates between Python and the engine; no game logic lives here.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <stdexcept>
#include <string>

#include "actions.hpp"
#include "observations.hpp"
#include "rules.hpp"
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

}  // namespace

NB_MODULE(_core, m) {
  m.doc() = "gridenv C++ engine (see cpp/ for the rules of the game).";

  m.attr("ACTION_KIND_NAMES") = [] {
    std::vector<std::string> names;
    for (auto name : kActionNames) names.emplace_back(name);
    return names;
  }();

  nb::class_<ConverterRules>(m, "ConverterRules")
      .def(nb::init<>())
      .def_rw("name", &ConverterRules::name)
      .def_prop_rw(
          "symbol", [](const ConverterRules& c) { return std::string(1, c.symbol); },
          [](ConverterRules& c, const std::string& s) {
            if (s.size() != 1) throw std::invalid_argument("converter symbol: must be one character, got '" + s + "'");
            c.symbol = s[0];
          })
      .def_rw("inputs", &ConverterRules::inputs)
      .def_rw("outputs", &ConverterRules::outputs)
      .def_rw("cooldown", &ConverterRules::cooldown)
      .def_rw("max_uses", &ConverterRules::max_uses);

  nb::class_<BodyRules>(m, "BodyRules")
      .def(nb::init<>())
      .def_rw("action_costs", &BodyRules::action_costs)
      .def_rw("resource_caps", &BodyRules::resource_caps)
      .def_rw("initial_inventory", &BodyRules::initial_inventory)
      .def_rw("energy_regen", &BodyRules::energy_regen);

  nb::class_<MapRules>(m, "MapRules")
      .def(nb::init<>())
      .def_rw("ascii", &MapRules::ascii)
      .def_rw("width", &MapRules::width)
      .def_rw("height", &MapRules::height)
      .def_rw("agents_per_group", &MapRules::agents_per_group)
      .def_rw("converter_counts", &MapRules::converter_counts)
      .def_rw("wall_density", &MapRules::wall_density);

  nb::class_<GameRules>(m, "GameRules")
      .def(nb::init<>())
      .def_rw("resources", &GameRules::resources)
      .def_rw("resource_rewards", &GameRules::resource_rewards)
      .def_rw("converters", &GameRules::converters)
      .def_rw("bodies", &GameRules::bodies)
      .def_prop_rw(
          "actions",
          [](const GameRules& g) {
            std::vector<int32_t> kinds;
            for (ActionKind kind : g.actions) kinds.push_back(static_cast<int32_t>(kind));
            return kinds;
          },
          [](GameRules& g, const std::vector<int32_t>& kinds) {
            g.actions.clear();
            for (int32_t kind : kinds) {
              if (kind < 0 || kind >= kNumActionKinds)
                throw std::invalid_argument("actions: action kind must be in [0, " +
                                            std::to_string(kNumActionKinds - 1) + "], got " + std::to_string(kind));
              g.actions.push_back(static_cast<ActionKind>(kind));
            }
          })
      .def_rw("max_steps", &GameRules::max_steps)
      .def_rw("obs_height", &GameRules::obs_height)
      .def_rw("obs_width", &GameRules::obs_width)
      .def_rw("map", &GameRules::map);

  nb::class_<World>(m, "World")
      .def(nb::init<GameRules>(), nb::arg("rules"))
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
      .def("reset", &World::reset, nb::arg("seed"), nb::call_guard<nb::gil_scoped_release>())
      .def("step", &World::step, nb::call_guard<nb::gil_scoped_release>())
      .def_prop_ro("num_agents", &World::num_agents)
      .def_prop_ro("num_actions", &World::num_actions)
      .def_prop_ro("num_channels", &World::num_channels)
      .def_prop_ro("step_count", &World::step_count)
      .def_prop_ro("episode_over", &World::episode_over)
      .def_prop_ro("height", &World::height)
      .def_prop_ro("width", &World::width)
      .def_prop_ro("stat_names", &World::stat_names)
      .def_prop_ro("channel_names", &World::channel_names)
      .def_prop_ro("self_feature_names", &World::self_feature_names)
      .def_prop_ro("memory_bytes", &World::memory_bytes)
      .def_prop_ro("action_order", &World::action_order, "Agent ids in the order the last step applied them.")
      .def("agents_per_group", &World::agents_per_group)
      .def("agent_groups",
           [](const World& w) {
             std::vector<int32_t> out;
             for (const auto& a : w.agents()) out.push_back(a.group);
             return out;
           })
      .def("agent_positions",
           [](const World& w) {
             std::vector<std::vector<int32_t>> out;
             for (const auto& a : w.agents()) out.push_back({a.row, a.col, static_cast<int32_t>(a.orientation)});
             return out;
           },
           "[(row, col, orientation)] per agent; orientation 0 north, 1 south, 2 west, 3 east.")
      .def("inventories",
           [](const World& w) {
             std::vector<std::vector<int32_t>> out(w.num_agents());
             const auto& inv = w.inventories();
             for (int32_t a = 0; a < w.num_agents(); ++a)
               out[a].assign(inv.begin() + a * w.num_resources(), inv.begin() + (a + 1) * w.num_resources());
             return out;
           },
           "Inventory per agent, one count per resource (energy first).")
      .def("stats",
           [](const World& w) {
             std::vector<std::vector<double>> out(w.num_agents());
             const size_t s = w.stat_names().size();
             for (int32_t a = 0; a < w.num_agents(); ++a)
               out[a].assign(w.stats().begin() + a * s, w.stats().begin() + (a + 1) * s);
             return out;
           },
           "Per-agent episode statistics so far, aligned with stat_names.")
      .def("converter_states",
           [](const World& w) {
             std::vector<std::vector<int32_t>> out;
             for (const auto& c : w.converters())
               out.push_back({c.row, c.col, c.kind, std::max(0, c.ready_step - w.step_count()), c.uses});
             return out;
           },
           "[(row, col, kind, steps_until_ready, uses)] per converter.")
      .def("fill_tiles",
           [](const World& w, CpuArray<uint8_t> out) {
             require_shape("tiles", out.ndim(), out.shape_ptr(),
                           {static_cast<size_t>(w.height()), static_cast<size_t>(w.width())});
             w.fill_tiles(out.data());
           },
           nb::arg("out").noconvert(), "Write tile codes (height, width) uint8: 0 empty, 1 wall, 2 agent, 3 + k converter kind k.")
      .def("fill_observation_high", [](const World& w, CpuArray<uint8_t> out) {
        const auto& rules = w.rules();
        require_shape("high", out.ndim(), out.shape_ptr(),
                      {static_cast<size_t>(w.num_channels()), static_cast<size_t>(rules.obs_height),
                       static_cast<size_t>(rules.obs_width)});
        w.fill_observation_high(out.data());
      }, nb::arg("out").noconvert());
}
