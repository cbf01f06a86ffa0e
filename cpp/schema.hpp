// Schema: every tunable scalar of the rules declared once, with its type, default, bounds and meaning.
//
// Each table below is an X-macro: one row per field, X(type, name, default, low, high, bounds, doc). The rules
// structs (rules.hpp) declare their members and take their defaults from these rows, validate_rules checks the bounds
// (rules.cpp), the binding exports the rows to Python as `_core.SCHEMA`, and the pydantic models of gridenv.config and
// gridenv.map_gen build their fields (default, bounds, description) from them. Changing a default or a bound here
// changes it everywhere; nothing else states it (tests/test_schema.py checks that no Python field restates one).
//
// bounds: kClosed [low, high], kLowOpen (low, high], kHighOpen [low, high).
#pragma once

#include <cstdint>
#include <string_view>

namespace gridenv {

enum class Bounds : uint8_t { kClosed = 0, kLowOpen, kHighOpen };

// Sizes the engine's data layout can hold (inventories and observations are uint8, action indices fit a byte, ...).
struct Limits {
  static constexpr int32_t kMaxAmount = 255;            // a resource amount, cost or cap (observed as uint8)
  static constexpr int32_t kMaxResources = 32;
  static constexpr int32_t kMaxConverterKinds = 64;
  static constexpr int32_t kMaxConvertersPerKind = 65535;
  static constexpr int32_t kMaxGroups = 10;             // groups are the ASCII digits 0-9
  static constexpr int32_t kMaxActions = 254;           // the observed last action index + 1 fits a byte
  static constexpr int32_t kMaxAgents = 4096;
  static constexpr int32_t kMaxMapSide = 4096;
  static constexpr int32_t kMaxRecipePool = 1000000;
  static constexpr int32_t kMaxObservationSide = 63;
};

// Map symbols with a fixed meaning; a converter's symbol must be another printable ASCII character.
constexpr std::string_view kReservedMapSymbols = "#. 0123456789";

// ConverterRules: an object that turns a user's inputs into outputs.
#define GRIDENV_CONVERTER_FIELDS(X)                                                                              \
  X(int32_t, cooldown, 0, 0, 1000000, kClosed, "Steps the object is unavailable after a use.")                  \
  X(int32_t, max_uses, 0, 0, 1000000000, kClosed, "Uses per episode; 0 means unlimited.")                        \
  X(int32_t, users_required, 1, 1, 4, kClosed,                                                                   \
    "Agents that must use it in the same step; each pays the inputs and gets the outputs.")

// BodyRules: an agent's energy profile.
#define GRIDENV_BODY_FIELDS(X) \
  X(int32_t, energy_regen, 1, 0, 255, kClosed, "Energy regained every step, up to the cap.")

// CombatRules: `attack` freezes the faced agent and steals part of its inventory, unless its shield is up.
#define GRIDENV_COMBAT_FIELDS(X)                                                                                 \
  X(int32_t, freeze_steps, 10, 0, 1000000, kClosed, "Steps the target's actions do nothing.")                   \
  X(float, steal_fraction, 0.5f, 0.0, 1.0, kClosed,                                                              \
    "Share of each stealable resource taken (rounded down; what the attacker has no room for stays with the "     \
    "target).")

// ShieldRules: `toggle_shield` raises a shield that absorbs attacks and drains energy.
#define GRIDENV_SHIELD_FIELDS(X)                                                                                 \
  X(int32_t, upkeep, 1, 0, 255, kClosed, "Energy per step while raised; unpaid, the shield drops.")             \
  X(int32_t, absorb_cost, 10, 0, 255, kClosed, "Energy the holder loses per absorbed attack.")

// ShareRules: the `share` action gives resources to the faced agent.
#define GRIDENV_SHARE_FIELDS(X) \
  X(int32_t, amount, 10, 0, 255, kClosed, "Units given per share action (all or nothing).")

// BuildRules: `build` puts a wall on the faced empty cell, `destroy` removes the faced wall.
#define GRIDENV_BUILD_FIELDS(X)                                                                                  \
  X(int32_t, max_walls_per_agent, 10, 0, 1000000, kClosed, "Walls one agent may build per episode (0 = unlimited).") \
  X(int32_t, max_destroys_per_agent, 10, 0, 1000000, kClosed,                                                    \
    "Walls one agent may destroy per episode (0 = unlimited).")

// KinshipRules: how raw rewards r become mixed rewards r' = K r (kinship.hpp, docs/social.md).
#define GRIDENV_KINSHIP_FIELDS(X)                                                                                \
  X(bool, normalize_rows, true, 0, 1, kClosed, "Mixed reward is the K-weighted average of kin rewards.")         \
  X(float, self_weight, 1.0f, 0.0, 1.0, kLowOpen, "Weight of an agent's own reward.")                            \
  X(float, kin_weight, 0.5f, 0.0, 1.0, kClosed, "teams: weight between members of one group.")                   \
  X(float, beta_a, 1.0f, 0.0, 1e6, kLowOpen, "random: pair weights ~ Beta(beta_a, beta_b), drawn each episode.")  \
  X(float, beta_b, 1.0f, 0.0, 1e6, kLowOpen, "random: see beta_a.")                                               \
  X(int32_t, family_size, 2, 1, 4096, kClosed, "clans: agents per family (by agent id).")                        \
  X(int32_t, families_per_clan, 2, 1, 4096, kClosed, "clans: families per clan.")                                \
  X(int32_t, clans_per_tribe, 2, 1, 4096, kClosed, "clans: clans per tribe.")                                    \
  X(float, family_weight, 0.5f, 0.0, 1.0, kClosed, "clans: weight between members of one family.")               \
  X(float, clan_weight, 0.25f, 0.0, 1.0, kClosed, "clans: weight between members of one clan.")                  \
  X(float, tribe_weight, 0.125f, 0.0, 1.0, kClosed, "clans: weight between members of one tribe.")               \
  X(int32_t, bond_window, 3, 0, 1000000, kClosed, "bonds: steps within which both must choose bond.")            \
  X(float, bond_weight, 1.0f, 0.0, 1.0, kClosed, "bonds: kinship of a bonded pair.")                              \
  X(int32_t, bond_cost, 5, 0, 255, kClosed, "bonds: energy each partner pays when the bond forms.")

// GameRules' own scalars.
#define GRIDENV_GAME_FIELDS(X)                                                                                   \
  X(int32_t, glyphs, 4, 0, 254, kClosed, "Glyphs an agent can show on itself (actions glyph_k).")                \
  X(int32_t, markers, 2, 0, 254, kClosed, "Marker kinds agents can drop (actions marker_k).")                    \
  X(int32_t, marker_duration, 20, 0, 1000000, kClosed, "Steps a dropped marker stays visible.")                  \
  X(bool, shuffle_recipes, false, 0, 1, kClosed,                                                                 \
    "Permute the converters' recipes among the kinds every reset (what an object does must be found out "         \
    "in-context).")                                                                                               \
  X(int32_t, max_steps, 1000, 1, 1000000000, kClosed, "Episode length (truncation).")                            \
  X(int32_t, obs_height, 11, 1, 63, kClosed, "Observation window height, odd (the agent sits at the centre).")   \
  X(int32_t, obs_width, 11, 1, 63, kClosed, "Observation window width, odd (the agent sits at the centre).")

// MapRules' scalars (map_gen.hpp). width and height bound generated maps; an ASCII map takes its size from the text.
#define GRIDENV_MAP_FIELDS(X)                                                                                    \
  X(int32_t, width, 32, 3, 4096, kClosed, "Map width in cells (ascii: from the text; composite: derived).")      \
  X(int32_t, height, 32, 3, 4096, kClosed, "Map height in cells (ascii: from the text; composite: derived).")    \
  X(double, wall_density, 0.08, 0.0, 1.0, kHighOpen, "random: chance an interior cell is a wall.")               \
  X(int32_t, room_rows, 2, 1, 1024, kClosed, "rooms: rooms per column.")                                          \
  X(int32_t, room_cols, 2, 1, 1024, kClosed, "rooms: rooms per row.")                                             \
  X(int32_t, corridor_width, 1, 1, 64, kClosed, "maze: width of the corridors, in cells (walls are 1 thick).")   \
  X(double, cave_fill, 0.45, 0.0, 1.0, kHighOpen, "cave: initial chance that a cell is rock.")                    \
  X(int32_t, cave_steps, 4, 0, 100, kClosed, "cave: smoothing passes of the 4-5 rule.")                           \
  X(int32_t, columns, 1, 1, 4096, kClosed, "composite: parts per row.")

// Declares a member with its schema default (used inside the rules structs).
#define GRIDENV_DECLARE_FIELD(type, name, default_value, low, high, bounds, doc) type name = default_value;

// Calls `visit(name, member, low, high, bounds)` for every schema field of a rules struct (validation, binding).
#define GRIDENV_VISIT_FIELD(type, name, default_value, low, high, bounds, doc) \
  visit(#name, object.name, static_cast<double>(low), static_cast<double>(high), Bounds::bounds);

}  // namespace gridenv
