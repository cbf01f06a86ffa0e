// Kinship: mixes raw per-agent rewards r into rewards r' = K r each step ("mixing": the `share` action is another
// thing, a transfer of resources between two agents, actions.cpp).
//
// K is an agents x agents matrix of pairwise weights in [0, 1], symmetric, with self_weight on the diagonal:
//   selfish  K = self_weight * I
//   teams    weight kin_weight between agents of the same group
//   random   each pair draws a weight ~ Beta(beta_a, beta_b) at every reset (from the world's RNG)
//   clans    agents numbered into families (family_size) inside clans (families_per_clan) inside tribes
//            (clans_per_tribe); a pair gets the weight of the closest level it shares, 0 across tribes
//   bonds    selfish until two agents bond (see World), then bond_weight between the pair for the episode
// A bond (under any scheme) raises the pair's weight to at least bond_weight; a closer pair keeps its weight.
// With normalize_rows (the default) each agent's mixed reward is the K-weighted *average* of its kin's raw rewards,
// r'_i = sum_j K_ij r_j / sum_j K_ij, so the reward scale does not grow with the number of kin and hyperparameters
// carry over between schemes and team sizes. Without it, r' = K r (a team of 6 with weight 0.5 earns 3.5x).
#pragma once

#include <cstdint>
#include <vector>

#include "rng.hpp"
#include "state_archive.hpp"
#include "rules.hpp"

namespace gridenv {

class Kinship {
 public:
  void configure(const KinshipRules& rules, int32_t num_agents);
  // Rebuild K for a new episode; `groups` is each agent's group.
  void reset(const std::vector<uint8_t>& groups, Rng& rng);
  // mixed[i] = (normalised) sum_j K_ij raw[j]. Cost: O(agents) per agent with a nonzero raw reward.
  void mix(const float* raw, float* mixed) const;
  void bond(int32_t a, int32_t b);
  bool bonded(int32_t a, int32_t b) const { return bonded_[static_cast<size_t>(a) * num_agents_ + b] != 0; }

  float weight(int32_t a, int32_t b) const { return weights_[static_cast<size_t>(a) * num_agents_ + b]; }
  uint8_t quantized(int32_t a, int32_t b) const { return quantized_[static_cast<size_t>(a) * num_agents_ + b]; }
  const std::vector<float>& matrix() const { return weights_; }  // [agents * agents], before normalisation
  // True while K has no weight between two different agents (selfish, bonds before the first bond, teams of one):
  // then normalised mixing is the identity, r' = r, and World skips the O(agents^2) product.
  bool diagonal() const { return diagonal_; }
  void save(StateWriter& out) const {
    out.array(weights_);
    out.array(quantized_);
    out.array(row_sums_);
    out.array(bonded_);
  }
  // `groups`: each agent's group, as reset takes it (the weights must be the ones these rules give them).
  void load(StateReader& in, const std::vector<uint8_t>& groups) {
    const size_t pairs = static_cast<size_t>(num_agents_) * num_agents_;
    in.array(weights_, pairs, true, "kinship.weights");
    in.array(quantized_, pairs, true, "kinship.quantized");
    in.array(row_sums_, static_cast<size_t>(num_agents_), true, "kinship.row_sums");
    in.array(bonded_, pairs, true, "kinship.bonded");
    check_loaded(in, groups);
  }

 private:
  void set(int32_t a, int32_t b, float w);  // both (a, b) and (b, a)
  void update_row_sum(int32_t a);
  void update_diagonal();
  // The weight the scheme gives a pair before any bond; the random scheme's are drawn in reset instead.
  float scheme_weight(int32_t a, int32_t b, const std::vector<uint8_t>& groups) const;
  // Weights in [0, 1], symmetric, the rules' diagonal, the scheme's (raised by bonds) off it; derived parts rebuilt.
  void check_loaded(const StateReader& in, const std::vector<uint8_t>& groups);
  KinshipRules rules_;
  int32_t num_agents_ = 0;
  std::vector<float> weights_;
  std::vector<uint8_t> quantized_;  // round(255 * weight), what agents observe
  std::vector<float> row_sums_;
  std::vector<uint8_t> bonded_;  // 1 for pairs that bonded this episode (symmetric)
  bool diagonal_ = true;
};

}  // namespace gridenv
