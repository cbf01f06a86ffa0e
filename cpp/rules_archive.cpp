// encode_rules / decode_rules: GameRules as bytes. Layout: magic "GRIDRULE", format version (uint8), then every field
// in declaration order (schema scalars in their tables' order, vectors prefixed by their length, strings as bytes,
// map parts recursively), then a checksum (state_archive.hpp). Nothing is executed or trusted: every length is
// bounded, and the decoded rules pass validate_rules before they are returned.
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "rules.hpp"
#include "state_archive.hpp"

namespace gridenv {
namespace {

constexpr char kMagic[8] = {'G', 'R', 'I', 'D', 'R', 'U', 'L', 'E'};
constexpr uint8_t kVersion = 1;
constexpr size_t kMaxText = size_t{1} << 26;  // the longest string (an ASCII map of 4096 x 4096 cells is 2^24)
constexpr size_t kMaxItems = size_t{1} << 24;

class Encoder {
 public:
  explicit Encoder(std::vector<uint8_t>& bytes) : out_(bytes) {}
  template <typename T>
  void scalar(const T& value) { out_.value(value); }
  void text(const std::string& value) { out_.array(std::vector<char>(value.begin(), value.end())); }
  template <typename T>
  void list(const std::vector<T>& values) { out_.array(values); }
  template <typename Rules>
  void fields(const Rules& rules) {
    visit_fields(rules, [this](const char*, const auto& value, double, double, Bounds) { scalar(value); });
  }
  void map(const MapRules& map) {
    scalar(map.generator), scalar(map.maze_algorithm), text(map.ascii), scalar(map.agents);
    list(map.converter_counts);
    fields(map);
    scalar(static_cast<uint64_t>(map.parts.size()));
    for (const MapRules& part : map.parts) this->map(part);
  }
  void seal() { out_.seal(); }

 private:
  StateWriter out_;
};

class Decoder {
 public:
  Decoder(const uint8_t* data, size_t size) : in_(data, size, "rules file") {}
  template <typename T>
  void scalar(T& value) { in_.value(value); }
  void scalar(bool& value) {  // a byte other than 0 or 1 is no bool: refuse it rather than read it as one
    uint8_t byte;
    in_.value(byte);
    if (byte > 1) in_.fail("a true/false field holds " + std::to_string(byte));
    value = byte == 1;
  }
  void text(std::string& value, const char* field) {
    std::vector<char> chars;
    in_.array(chars, kMaxText, false, field);
    value.assign(chars.begin(), chars.end());
  }
  template <typename T>
  void list(std::vector<T>& values, const char* field) { in_.array(values, kMaxItems, false, field); }
  size_t count(const char* field) {
    uint64_t n;
    in_.value(n);
    if (n > kMaxItems) in_.fail(std::string(field) + ": " + std::to_string(n) + " entries, more than any rules hold");
    return static_cast<size_t>(n);
  }
  template <typename Rules>
  void fields(Rules& rules) {
    visit_fields(rules, [this](const char*, auto& value, double, double, Bounds) { scalar(value); });
  }
  void map(MapRules& map, int depth) {
    if (depth > 8) in_.fail("map: composite maps nest at most 8 deep");
    scalar(map.generator), scalar(map.maze_algorithm), text(map.ascii, "map.ascii"), scalar(map.agents);
    list(map.converter_counts, "map.converter_counts");
    fields(map);
    map.parts.resize(count("map.parts"));
    for (MapRules& part : map.parts) this->map(part, depth + 1);
  }
  StateReader& reader() { return in_; }

 private:
  StateReader in_;
};

}  // namespace

std::vector<uint8_t> encode_rules(const GameRules& rules) {
  std::vector<uint8_t> bytes;
  Encoder out(bytes);
  out.scalar(kMagic);
  out.scalar(kVersion);
  out.scalar(static_cast<uint64_t>(rules.resources.size()));
  for (const std::string& resource : rules.resources) out.text(resource);
  out.list(rules.resource_rewards);
  out.scalar(static_cast<uint64_t>(rules.converters.size()));
  for (const ConverterRules& converter : rules.converters) {
    out.text(converter.name), out.scalar(converter.symbol), out.list(converter.inputs), out.list(converter.outputs);
    out.fields(converter);
  }
  out.scalar(static_cast<uint64_t>(rules.bodies.size()));
  for (const BodyRules& body : rules.bodies) {
    out.list(body.action_costs), out.list(body.resource_caps), out.list(body.initial_inventory);
    out.fields(body);
  }
  out.list(rules.posture_body);
  out.list(rules.actions);
  out.fields(rules.combat), out.list(rules.combat.stealable);
  out.fields(rules.shield);
  out.scalar(rules.share.resource), out.fields(rules.share);
  out.list(rules.build.cost), out.fields(rules.build);
  out.scalar(rules.kinship.scheme), out.fields(rules.kinship);
  out.list(rules.agents_per_group);
  out.scalar(rules.goal_resource), out.scalar(rules.goal_amount);
  out.scalar(static_cast<uint64_t>(rules.recipe_pool.size()));
  for (const auto& permutation : rules.recipe_pool) out.list(permutation);
  out.fields(rules);
  out.map(rules.map);
  out.seal();
  return bytes;
}

GameRules decode_rules(const uint8_t* data, size_t size) {
  Decoder in(data, size);
  char magic[8];
  uint8_t version = 0;
  in.scalar(magic);
  if (std::memcmp(magic, kMagic, sizeof(kMagic)) != 0) in.reader().fail("not a gridenv rules file (bad magic)");
  in.scalar(version);
  if (version != kVersion)
    in.reader().fail("format version " + std::to_string(version) + ", this engine reads version " +
                     std::to_string(kVersion));
  GameRules rules;
  rules.resources.resize(in.count("resources"));
  for (std::string& resource : rules.resources) in.text(resource, "resources");
  in.list(rules.resource_rewards, "resource_rewards");
  rules.converters.resize(in.count("converters"));
  for (ConverterRules& converter : rules.converters) {
    in.text(converter.name, "converters.name"), in.scalar(converter.symbol);
    in.list(converter.inputs, "converters.inputs"), in.list(converter.outputs, "converters.outputs");
    in.fields(converter);
  }
  rules.bodies.resize(in.count("bodies"));
  for (BodyRules& body : rules.bodies) {
    in.list(body.action_costs, "bodies.action_costs"), in.list(body.resource_caps, "bodies.resource_caps");
    in.list(body.initial_inventory, "bodies.initial_inventory");
    in.fields(body);
  }
  in.list(rules.posture_body, "posture_body");
  in.list(rules.actions, "actions");
  in.fields(rules.combat), in.list(rules.combat.stealable, "combat.stealable");
  in.fields(rules.shield);
  in.scalar(rules.share.resource), in.fields(rules.share);
  in.list(rules.build.cost, "build.cost"), in.fields(rules.build);
  in.scalar(rules.kinship.scheme), in.fields(rules.kinship);
  in.list(rules.agents_per_group, "agents_per_group");
  in.scalar(rules.goal_resource), in.scalar(rules.goal_amount);
  rules.recipe_pool.resize(in.count("recipe_pool"));
  for (auto& permutation : rules.recipe_pool) in.list(permutation, "recipe_pool");
  in.fields(rules);
  in.map(rules.map, 0);
  in.reader().expect_end();
  validate_rules(rules);
  return rules;
}

}  // namespace gridenv
