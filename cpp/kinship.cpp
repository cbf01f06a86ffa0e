#include "kinship.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace gridenv {
namespace {

double standard_normal(Rng& rng) {
  // Box-Muller; 1 - u keeps the log argument in (0, 1].
  const double u = 1.0 - rng.uniform(), v = rng.uniform();
  return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v);
}

// log of a Gamma(shape, 1) draw: Marsaglia-Tsang (shape >= 1), boosted for shape < 1 as G(a) = G(a + 1) U^(1/a).
// In log space, because for small shapes U^(1/a) underflows to 0 (a = 0.005 gave 0/0 = NaN kinship weights).
double sample_log_gamma(double shape, Rng& rng) {
  if (shape < 1.0) return sample_log_gamma(shape + 1.0, rng) + std::log(1.0 - rng.uniform()) / shape;
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    double x, v;
    do {
      x = standard_normal(rng);
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = 1.0 - rng.uniform();
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return std::log(d * v);
  }
}

// Beta(a, b) = X / (X + Y) = 1 / (1 + exp(log Y - log X)); finite for every a, b > 0.
double sample_beta(double a, double b, Rng& rng) {
  const double log_x = sample_log_gamma(a, rng), log_y = sample_log_gamma(b, rng);
  return 1.0 / (1.0 + std::exp(log_y - log_x));
}

}  // namespace

void Kinship::configure(const KinshipRules& rules, int32_t num_agents) {
  rules_ = rules;
  num_agents_ = num_agents;
  const size_t cells = static_cast<size_t>(num_agents) * num_agents;
  weights_.assign(cells, 0.0f);
  quantized_.assign(cells, 0);
  row_sums_.assign(num_agents, 0.0f);
  bonded_.assign(cells, 0);
}

void Kinship::set(int32_t a, int32_t b, float w) {
  for (auto [i, j] : {std::pair{a, b}, std::pair{b, a}}) {
    weights_[static_cast<size_t>(i) * num_agents_ + j] = w;
    quantized_[static_cast<size_t>(i) * num_agents_ + j] = static_cast<uint8_t>(std::lround(255.0f * w));
    if (i == j) break;
  }
}

void Kinship::reset(const std::vector<uint8_t>& groups, Rng& rng) {
  std::fill(weights_.begin(), weights_.end(), 0.0f);
  std::fill(quantized_.begin(), quantized_.end(), 0);
  std::fill(bonded_.begin(), bonded_.end(), 0);
  const int32_t n = num_agents_;
  for (int32_t a = 0; a < n; ++a) set(a, a, rules_.self_weight);
  for (int32_t a = 0; a < n; ++a) {
    for (int32_t b = a + 1; b < n; ++b) {
      const float w = rules_.scheme == KinshipScheme::kRandom
                          ? static_cast<float>(sample_beta(rules_.beta_a, rules_.beta_b, rng))
                          : scheme_weight(a, b, groups);
      if (w != 0.0f) set(a, b, w);
    }
  }
  for (int32_t a = 0; a < n; ++a) update_row_sum(a);
  update_diagonal();
}

float Kinship::scheme_weight(int32_t a, int32_t b, const std::vector<uint8_t>& groups) const {
  switch (rules_.scheme) {
    case KinshipScheme::kTeams:
      return groups[a] == groups[b] ? rules_.kin_weight : 0.0f;
    case KinshipScheme::kClans: {
      const int32_t family = rules_.family_size;
      const int32_t clan = family * rules_.families_per_clan;
      const int32_t tribe = clan * rules_.clans_per_tribe;
      if (a / family == b / family) return rules_.family_weight;
      if (a / clan == b / clan) return rules_.clan_weight;
      if (a / tribe == b / tribe) return rules_.tribe_weight;
      return 0.0f;
    }
    case KinshipScheme::kRandom:
    case KinshipScheme::kSelfish:
    case KinshipScheme::kBonds:
      break;
  }
  return 0.0f;
}

void Kinship::check_loaded(const StateReader& in, const std::vector<uint8_t>& groups) {
  const int32_t n = num_agents_;
  for (int32_t a = 0; a < n; ++a)
    for (int32_t b = 0; b < n; ++b) {
      const float w = weight(a, b);
      if (!(w >= 0.0f && w <= 1.0f)) in.fail("kinship.weights: a weight outside [0, 1]");
      if (w != weight(b, a)) in.fail("kinship.weights: not symmetric");
      if (a == b && w != rules_.self_weight) in.fail("kinship.weights: the diagonal is not kinship.self_weight");
      if (bonded_[static_cast<size_t>(a) * n + b] > 1) in.fail("kinship.bonded: not 0 or 1");
      if (bonded(a, b) != bonded(b, a)) in.fail("kinship.bonded: not symmetric");
      if (a == b && bonded(a, a)) in.fail("kinship.bonded: agent " + std::to_string(a) + " bonded to itself");
    }
  // Off the diagonal a pair has what reset gave it (drawn, under `random`), raised to bond_weight if it bonded: a
  // state whose weights these rules cannot give was made under other rules, or forged, and would mix rewards so.
  for (int32_t a = 0; a < n; ++a)
    for (int32_t b = a + 1; b < n; ++b) {
      const float w = weight(a, b);
      const bool drawn = rules_.scheme == KinshipScheme::kRandom;
      float expected = drawn ? w : scheme_weight(a, b, groups);
      if (bonded(a, b)) expected = std::max(expected, rules_.bond_weight);
      if (w != expected)
        in.fail("kinship.weights: agents " + std::to_string(a) + " and " + std::to_string(b) + " have weight " +
                std::to_string(w) + "; these rules give them " + std::to_string(expected) +
                (bonded(a, b) ? " (bonded)" : " (not bonded)"));
    }
  // What agents observe and what rewards are divided by follow from the weights: rebuilt, never trusted.
  for (int32_t a = 0; a < n; ++a)
    for (int32_t b = 0; b < n; ++b)
      quantized_[static_cast<size_t>(a) * n + b] = static_cast<uint8_t>(std::lround(255.0f * weight(a, b)));
  for (int32_t a = 0; a < n; ++a) update_row_sum(a);
  update_diagonal();
}

void Kinship::update_diagonal() {
  diagonal_ = true;
  for (int32_t a = 0; a < num_agents_ && diagonal_; ++a)
    for (int32_t b = 0; b < num_agents_; ++b)
      if (a != b && weights_[static_cast<size_t>(a) * num_agents_ + b] != 0.0f) {
        diagonal_ = false;
        break;
      }
}

void Kinship::update_row_sum(int32_t a) {
  float sum = 0.0f;
  const float* row = weights_.data() + static_cast<size_t>(a) * num_agents_;
  for (int32_t b = 0; b < num_agents_; ++b) sum += row[b];
  row_sums_[a] = sum;
}

void Kinship::bond(int32_t a, int32_t b) {
  bonded_[static_cast<size_t>(a) * num_agents_ + b] = bonded_[static_cast<size_t>(b) * num_agents_ + a] = 1;
  if (weight(a, b) < rules_.bond_weight) set(a, b, rules_.bond_weight);
  update_row_sum(a);
  update_row_sum(b);
  if (a != b && rules_.bond_weight > 0.0f) diagonal_ = false;
}

void Kinship::mix(const float* raw, float* mixed) const {
  const int32_t n = num_agents_;
  for (int32_t i = 0; i < n; ++i) mixed[i] = 0.0f;
  for (int32_t j = 0; j < n; ++j) {
    if (raw[j] == 0.0f) continue;
    const float* column = weights_.data() + static_cast<size_t>(j) * n;  // K is symmetric: row j == column j
    for (int32_t i = 0; i < n; ++i) mixed[i] += column[i] * raw[j];
  }
  if (rules_.normalize_rows)
    for (int32_t i = 0; i < n; ++i) mixed[i] /= row_sums_[i];
}

}  // namespace gridenv
