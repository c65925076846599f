// The study's samplers and median pruner against Optuna 3.1 run live (tests/oracle/optuna_*.py
// with Debian's /usr/bin/python3): numpy's RandomState port, the truncated normal, faithful TPE
// and random sampling trial by trial, the median pruner on synthetic histories, and a benchmark
// of the default (per-trial seeded) TPE against Optuna over many seeds.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actlab/error.hpp"
#include "actlab/study/sampler.hpp"
#include "../src/study/numpy_random.hpp"  // private to src/study; tested here
#include "../src/study/tpe_truncnorm.hpp"
#include "support/test_support.hpp"

namespace actlab::study {
namespace {

using Json = nlohmann::json;
using Params = std::map<std::string, double>;

// ---------------------------------------------------------------------------------------------
// Toy objectives, identical (operation by operation) to tests/oracle/optuna_tpe.py.

constexpr double kConv[] = {0.10, 0.62, 0.70, 0.74, 0.80, 0.77, 0.55, 0.83};
constexpr double kFc[] = {0.20, 0.71, 0.69, 0.73, 0.66, 0.78, 0.60, 0.75};

double seed_space_objective(const Params& p) {
  const int i = static_cast<int>(p.at("conv_activation"));
  const int j = static_cast<int>(p.at("fc_activation"));
  const double d = std::log(p.at("learning_rate")) - std::log(3e-3);
  return 0.5 * kConv[i] + 0.3 * kFc[j] + 0.05 * ((i * 3 + j * 5) % 7) / 7.0 - 0.08 * d * d;
}

double toy2d_objective(const Params& p) {
  const double x = p.at("x"), y = p.at("y");
  const double d = std::log(y) + 3.0;
  return -(x - 1.3) * (x - 1.3) - 0.5 * d * d;
}

double toy3d_objective(const Params& p) {
  const double x = p.at("x"), y = p.at("y"), z = p.at("z");
  const double a = 1.0 - x, b = y - x * x, d = std::log(z) + 4.0;
  return -(a * a + 5.0 * b * b) - 0.3 * d * d;
}

struct Problem {
  std::string name;  // the oracle's objective name
  SearchSpace space;
  std::function<double(const Params&)> objective;
};

Problem problem(const std::string& name) {
  if (name == "seed_space") return {name, seed_search_space(), seed_space_objective};
  if (name == "toy2d") {
    return {name,
            {{"x", Distribution::uniform_float(-5, 5)}, {"y", Distribution::log_float(1e-3, 1)}},
            toy2d_objective};
  }
  return {name,
          {{"x", Distribution::uniform_float(-3, 3)},
           {"y", Distribution::uniform_float(-3, 3)},
           {"z", Distribution::log_float(1e-4, 1)}},
          toy3d_objective};
}

// Runs a study sequentially (one worker), as Optuna's study.optimize does. With `prune`, the
// fixed pruning rule of optuna_tpe.py's prunable(): intermediate value·k/4 at steps 1…4, trials
// numbered 3 mod 5 pruned after step 2, trial 7 reports NaN at step 2 and is pruned, trial 12 is
// pruned before reporting.
std::vector<Trial> run_study(Sampler& sampler, const Problem& pb, int n_trials, bool prune) {
  std::vector<Trial> history;
  for (int n = 0; n < n_trials; ++n) {
    Trial t;
    t.number = n;
    for (const ParamSpec& p : pb.space) t.params[p.name] = sampler.sample(history, t, p);
    const double value = pb.objective(t.params);
    t.state = TrialState::kComplete;
    t.value = value;
    if (prune) {
      if (n == 12) {
        t.state = TrialState::kPruned;
        t.value.reset();
      }
      for (int step = 1; step <= 4 && t.state == TrialState::kComplete; ++step) {
        t.intermediate[step] = (n == 7 && step == 2) ? std::numeric_limits<double>::quiet_NaN()
                                                     : value * step / 4.0;
        if ((n % 5 == 3 || n == 7) && step == 2) {
          t.state = TrialState::kPruned;
          t.value = t.intermediate[step];
        }
      }
    }
    history.push_back(t);
  }
  return history;
}

std::vector<Trial> parse_trials(const Json& trials) {
  std::vector<Trial> out;
  for (const Json& j : trials) {
    Trial t;
    t.number = j.at("number").get<std::int64_t>();
    t.state = parse_state(j.at("state").get<std::string>());
    for (const auto& [k, v] : j.at("params").items()) t.params[k] = v.get<double>();
    if (!j.at("value").is_null()) t.value = j.at("value").get<double>();
    for (const Json& iv : j.at("intermediate")) {
      t.intermediate[iv[0].get<std::int64_t>()] =
          iv[1].is_null() ? std::numeric_limits<double>::quiet_NaN() : iv[1].get<double>();
    }
    out.push_back(t);
  }
  return out;
}

// Float parameters must agree to 1e-12 of max(|value|, 1): numpy's vectorised exp/log (SVML on
// this CPU) differ from libm by an ulp now and then, which moves a TPE draw by ~1e-16; anything
// larger is a real difference. Categorical indices and states must be equal.
std::string first_mismatch(const std::vector<Trial>& ours, const std::vector<Trial>& theirs,
                           const SearchSpace& space) {
  if (ours.size() != theirs.size()) return "different trial counts";
  for (std::size_t n = 0; n < ours.size(); ++n) {
    std::ostringstream why;
    bool differs = ours[n].state != theirs[n].state;
    for (const ParamSpec& p : space) {
      const double a = ours[n].params.at(p.name), b = theirs[n].params.at(p.name);
      const double tol = p.distribution.kind == Distribution::Kind::kCategorical
                             ? 0
                             : 1e-12 * std::max({std::fabs(a), std::fabs(b), 1.0});
      if (!(std::fabs(a - b) <= tol)) differs = true;
    }
    if (differs) {
      why.precision(17);
      why << "trial " << n << ": ours " << state_name(ours[n].state);
      for (const auto& [k, v] : ours[n].params) why << " " << k << "=" << v;
      why << " | Optuna " << state_name(theirs[n].state);
      for (const auto& [k, v] : theirs[n].params) why << " " << k << "=" << v;
      return why.str();
    }
  }
  return "";
}

Json tpe_job(const std::string& sampler, std::uint64_t seed, const std::string& objective,
             int trials, bool prune) {
  return {{"sampler", sampler}, {"seed", seed}, {"objective", objective},
          {"trials", trials},   {"prune", prune}};
}

// ---------------------------------------------------------------------------------------------
// numpy RandomState and the truncated normal.

double json_number(const Json& j) {
  if (j.is_null()) return std::numeric_limits<double>::quiet_NaN();
  if (j.is_string()) {
    return (j.get<std::string>() == "inf" ? 1 : -1) * std::numeric_limits<double>::infinity();
  }
  return j.get<double>();
}

bool close(double ours, double theirs, double rel) {
  if (std::isnan(ours) || std::isnan(theirs)) return std::isnan(ours) && std::isnan(theirs);
  if (std::isinf(ours) || std::isinf(theirs)) return ours == theirs;
  return std::fabs(ours - theirs) <= rel * std::max(std::fabs(theirs), 1.0);
}

TEST(NumpyRandom, MatchesRandomStateExactly) {
  const std::vector<std::uint32_t> seeds = {0, 1, 42, 123456789, 4294967295u};
  const std::vector<std::uint64_t> ns = {1, 2, 7, 8, 100, 1000003};
  const std::vector<double> p = {0.1, 0.0, 0.35, 0.05, 0.5};
  // np.log's inputs: probabilities like the categorical masses, and a wide log-uniform sweep.
  std::vector<double> logs = {1.0, 0.5, 0.75, 2.0, 1e-300, 1e300, 0.1736111111111111};
  std::mt19937 gen(11);
  for (int i = 0; i < 3000; ++i) {
    logs.push_back(std::uniform_real_distribution<double>(0, 1)(gen));
    logs.push_back(std::exp(std::uniform_real_distribution<double>(-700, 700)(gen)));
  }
  const Json answer = test::run_oracle(
      "optuna_numpy.py", {{"seeds", seeds}, {"randint_n", ns}, {"choice_p", p}, {"ppf", Json::array()},
                          {"logpdf", Json::array()}, {"log_ndtr", Json::array()}, {"erf", Json::array()},
                          {"log", logs}});
  ASSERT_FALSE(answer.is_null());
  int log_mismatches = 0;
  for (std::size_t i = 0; i < logs.size(); ++i) {
    if (numpy::log(logs[i]) != answer["log"][i].get<double>() && ++log_mismatches <= 5) {
      ADD_FAILURE() << std::hexfloat << "np.log(" << logs[i] << ") = " << answer["log"][i].get<double>()
                    << ", ours " << numpy::log(logs[i]);
    }
  }
  EXPECT_EQ(log_mismatches, 0);
  double total = 0;
  for (double v : p) total += v;
  std::vector<double> normalised;
  for (double v : p) normalised.push_back(v / total);
  for (std::size_t s = 0; s < seeds.size(); ++s) {
    const Json& expected = answer["streams"][s];
    numpy::RandomState rng(seeds[s]);
    for (std::size_t i = 0; i < 10; ++i) {
      EXPECT_EQ(rng.random_sample(), expected["random_sample"][i].get<double>())
          << "seed " << seeds[s] << " draw " << i;
    }
    for (std::size_t k = 0; k < ns.size(); ++k) {
      for (std::size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(rng.randint(ns[k]), expected["randint"][k][i].get<std::uint64_t>())
            << "seed " << seeds[s] << " randint(0, " << ns[k] << ") draw " << i;
      }
    }
    const std::vector<std::size_t> choice = rng.choice(normalised, 20);
    EXPECT_EQ(choice, expected["choice"].get<std::vector<std::size_t>>()) << "seed " << seeds[s];
    std::vector<std::size_t> x = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    rng.shuffle(x);
    EXPECT_EQ(x, expected["shuffle"].get<std::vector<std::size_t>>()) << "seed " << seeds[s];
  }
}

TEST(TruncNorm, MatchesOptunasHelpers) {
  // Inputs on every branch: erf's six ranges, log_ndtr's three, left/right/central masses,
  // q at 0 and 1, points outside the support.
  std::vector<double> xs = {-40, -25, -20.5, -19, -7, -6.5, -3, -2.5, -1.1, -0.9, -0.5, -1e-9,
                            0,   1e-9, 0.3,  0.8,  0.9, 1.2, 2,    2.9, 3.5, 5.9, 6.2, 8, 30};
  Json ppf = Json::array(), logpdf = Json::array();
  std::mt19937 gen(7);
  std::uniform_real_distribution<double> u(0, 1), z(-6, 6);
  for (int i = 0; i < 300; ++i) {
    double a = z(gen), b = z(gen);
    if (a > b) std::swap(a, b);
    const double q = i % 50 == 0 ? 0.0 : (i % 50 == 1 ? 1.0 : u(gen));
    ppf.push_back({q, a, b});
    const double loc = z(gen), scale = 0.01 + 3 * u(gen);
    logpdf.push_back({loc + scale * z(gen), a, b, loc, scale});
  }
  const Json answer = test::run_oracle(
      "optuna_numpy.py", {{"seeds", Json::array()}, {"randint_n", Json::array()},
                          {"choice_p", {1.0}}, {"ppf", ppf}, {"logpdf", logpdf},
                          {"log_ndtr", xs}, {"erf", xs}});
  ASSERT_FALSE(answer.is_null());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    // libm erf/erfc/log are the same functions Python's math calls: exact. Optuna's erf goes
    // through numpy's exp (may differ by an ulp).
    EXPECT_EQ(truncnorm::log_ndtr(xs[i]), json_number(answer["log_ndtr"][i])) << "x=" << xs[i];
    EXPECT_TRUE(close(truncnorm::optuna_erf(xs[i]), json_number(answer["erf"][i]), 1e-15))
        << "x=" << xs[i];
  }
  for (std::size_t i = 0; i < ppf.size(); ++i) {
    const double q = ppf[i][0], a = ppf[i][1], b = ppf[i][2];
    EXPECT_TRUE(close(truncnorm::ppf(q, a, b), json_number(answer["ppf"][i]), 1e-13))
        << "ppf(" << q << ", " << a << ", " << b << ") = " << truncnorm::ppf(q, a, b)
        << ", Optuna " << answer["ppf"][i];
    const Json& l = logpdf[i];
    const double ours = truncnorm::logpdf(l[0], l[1], l[2], l[3], l[4], true);
    EXPECT_TRUE(close(ours, json_number(answer["logpdf"][i]), 1e-12))
        << "logpdf" << l << " = " << ours << ", Optuna " << answer["logpdf"][i];
  }
}

// ---------------------------------------------------------------------------------------------
// Faithful TPE and random sampling, trial by trial.

// One oracle process answers every job; the cases are compared in order.
void expect_faithful(const std::vector<Json>& jobs) {
  const Json answer = test::run_oracle("optuna_tpe.py", {{"jobs", jobs}});
  ASSERT_FALSE(answer.is_null());
  for (std::size_t k = 0; k < jobs.size(); ++k) {
    const Json& job = jobs[k];
    const Problem pb = problem(job["objective"]);
    const std::uint64_t seed = job["seed"];
    std::unique_ptr<Sampler> sampler =
        job["sampler"] == "tpe"
            ? make_tpe_sampler({.seed = seed, .seeding = Seeding::kFaithful})
            : make_random_sampler(seed, Seeding::kFaithful);
    const std::vector<Trial> ours = run_study(*sampler, pb, job["trials"], job["prune"]);
    const std::vector<Trial> theirs = parse_trials(answer["results"][k]);
    EXPECT_EQ(first_mismatch(ours, theirs, pb.space), "") << "job " << job.dump();
    if (job["prune"]) {  // the replayed pruning rule produced the same histories
      for (std::size_t n = 0; n < ours.size() && n < theirs.size(); ++n) {
        EXPECT_EQ(ours[n].intermediate.size(), theirs[n].intermediate.size()) << "trial " << n;
      }
    }
  }
}

TEST(TpeFaithful, SeedSearchSpaceMatchesOptuna) {
  std::vector<Json> jobs;
  for (std::uint64_t seed : {0, 1, 2, 7, 42, 2024}) {
    jobs.push_back(tpe_job("tpe", seed, "seed_space", 50, false));
  }
  expect_faithful(jobs);
}

TEST(TpeFaithful, FloatToysMatchOptuna) {
  std::vector<Json> jobs;
  for (std::uint64_t seed : {0, 3, 11, 99, 31337}) {
    jobs.push_back(tpe_job("tpe", seed, "toy2d", 50, false));
  }
  jobs.push_back(tpe_job("tpe", 5, "toy3d", 60, false));
  expect_faithful(jobs);
}

TEST(TpeFaithful, PrunedTrialsRankAsInOptuna) {
  std::vector<Json> jobs;
  for (std::uint64_t seed : {1, 8, 77}) {
    jobs.push_back(tpe_job("tpe", seed, "seed_space", 45, true));
    jobs.push_back(tpe_job("tpe", seed, "toy2d", 45, true));
  }
  expect_faithful(jobs);
}

TEST(RandomFaithful, MatchesOptunasRandomSampler) {
  expect_faithful({tpe_job("random", 0, "seed_space", 30, false),
                   tpe_job("random", 17, "toy2d", 30, false),
                   tpe_job("random", 4000000000u, "toy3d", 30, false)});
}

// ---------------------------------------------------------------------------------------------
// Per-trial seeding, grid, make_sampler.

TEST(TpePerTrial, ProposalDependsOnlyOnSeedNumberAndHistory) {
  const Problem pb = problem("seed_space");
  for (const bool omit : {true, false}) {
    TpeOptions options{.seed = 5, .seeding = Seeding::kPerTrial};
    options.omit_log_sigma = omit;
    std::unique_ptr<Sampler> a = make_tpe_sampler(options);
    const std::vector<Trial> history = run_study(*a, pb, 30, false);
    // A fresh sampler (another worker) asked for any trial, in any order, gives the same
    // proposal from the same history.
    std::unique_ptr<Sampler> b = make_tpe_sampler(options);
    for (int n : {29, 3, 17, 11, 0}) {
      const std::vector<Trial> before(history.begin(), history.begin() + n);
      Trial t;
      t.number = n;
      for (const ParamSpec& p : pb.space) t.params[p.name] = b->sample(before, t, p);
      EXPECT_EQ(t.params, history[n].params) << "trial " << n << " omit_log_sigma " << omit;
    }
  }
  // Two seeds give different startup trials (Optuna's #4714 repeats them across workers).
  std::unique_ptr<Sampler> s1 = make_tpe_sampler({.seed = 1});
  std::unique_ptr<Sampler> s2 = make_tpe_sampler({.seed = 2});
  EXPECT_NE(run_study(*s1, pb, 3, false)[2].params, run_study(*s2, pb, 3, false)[2].params);
  // Seeds beyond 32 bits are fine per trial but not for numpy's RandomState.
  EXPECT_NO_THROW(make_tpe_sampler({.seed = 1ULL << 40}));
  EXPECT_THROW(make_tpe_sampler({.seed = 1ULL << 40, .seeding = Seeding::kFaithful}), Error);
}

TEST(GridSampler, VisitsEveryPointOnceThenAgain) {
  const SearchSpace space = seed_search_space();
  std::unique_ptr<Sampler> grid = make_sampler("grid", space, 3);
  EXPECT_EQ(grid->name(), "grid");
  const Problem pb = problem("seed_space");
  const std::vector<Trial> trials = run_study(*grid, pb, 8 * 8 * 5 + 3, false);
  std::set<Params> seen;
  for (std::size_t n = 0; n < 320; ++n) {
    EXPECT_TRUE(seen.insert(trials[n].params).second) << "trial " << n << " repeats a point";
    for (const ParamSpec& p : space) EXPECT_TRUE(p.distribution.contains(trials[n].params.at(p.name)));
  }
  EXPECT_EQ(seen.size(), 320u);
  std::set<double> lrs;
  for (const Params& p : seen) lrs.insert(p.at("learning_rate"));
  EXPECT_EQ(lrs.size(), 5u);
  EXPECT_EQ(*lrs.begin(), 5e-4);
  EXPECT_EQ(*lrs.rbegin(), 1e-2);
  EXPECT_TRUE(seen.count(trials[320].params));  // the second pass starts
  EXPECT_NE(trials[0].params, trials[1].params);

  EXPECT_THROW(make_grid_sampler(space, {{"conv_activation", {0}}, {"fc_activation", {9}},
                                         {"learning_rate", {1e-3}}}, 0),
               Error);
  EXPECT_THROW(make_grid_sampler(space, {{"conv_activation", {0}}}, 0), Error);
}

TEST(MakeSampler, ByName) {
  const SearchSpace space = seed_search_space();
  EXPECT_EQ(make_sampler("tpe", space, 1)->name(), "tpe");
  EXPECT_EQ(make_sampler("tpe-faithful", space, 1)->name(), "tpe-faithful");
  EXPECT_EQ(make_sampler("random", space, 1)->name(), "random");
  try {
    make_sampler("x", space, 1);
    FAIL() << "no error for an unknown sampler";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnknownName);
    EXPECT_STREQ(e.what(), "unknown sampler 'x'; choose tpe, tpe-faithful, random or grid");
  }
}

// ---------------------------------------------------------------------------------------------
// Benchmark: best value after 20/40/60 trials, averaged over seeds, for Optuna 3.1's TPE (run
// live), our faithful mode, and our default kPerTrial mode with omit_log_sigma true and false.

struct Summary {
  double mean[3];
  double se[3];  // standard error of the mean
};

constexpr int kCheckpoints[3] = {20, 40, 60};

double best_after(const std::vector<Trial>& trials, int n) {
  double best = -std::numeric_limits<double>::infinity();
  for (int i = 0; i < n; ++i) {
    if (trials[i].state == TrialState::kComplete) best = std::max(best, *trials[i].value);
  }
  return best;
}

Summary summarise(const std::vector<std::vector<Trial>>& runs) {
  Summary s{};
  for (int c = 0; c < 3; ++c) {
    double sum = 0, sum2 = 0;
    for (const auto& r : runs) {
      const double b = best_after(r, kCheckpoints[c]);
      sum += b;
      sum2 += b * b;
    }
    const double k = static_cast<double>(runs.size());
    s.mean[c] = sum / k;
    s.se[c] = std::sqrt(std::max(0.0, (sum2 - sum * sum / k) / (k - 1)) / k);
  }
  return s;
}

TEST(TpeBenchmark, DefaultModeNoWorseThanOptuna) {
  constexpr int kSeeds = 24;
  constexpr int kTrials = 60;
  const std::vector<std::string> objectives = {"seed_space", "toy2d", "toy3d"};
  std::vector<Json> jobs;
  for (const std::string& o : objectives) {
    for (int s = 0; s < kSeeds; ++s) jobs.push_back(tpe_job("tpe", 1000 + s, o, kTrials, false));
  }
  const Json answer = test::run_oracle("optuna_tpe.py", {{"jobs", jobs}});
  ASSERT_FALSE(answer.is_null());
  const bool default_omit = TpeOptions{}.omit_log_sigma;
  std::ostringstream table;
  table.precision(4);
  table << std::fixed << "\n| objective | mode | best@20 | best@40 | best@60 |\n|---|---|---|---|---|\n";
  for (std::size_t o = 0; o < objectives.size(); ++o) {
    const Problem pb = problem(objectives[o]);
    std::vector<std::vector<Trial>> optuna, faithful, omit_true, omit_false;
    for (int s = 0; s < kSeeds; ++s) {
      const std::uint64_t seed = 1000 + s;
      optuna.push_back(parse_trials(answer["results"][o * kSeeds + s]));
      auto f = make_tpe_sampler({.seed = seed, .seeding = Seeding::kFaithful});
      faithful.push_back(run_study(*f, pb, kTrials, false));
      // The benchmark itself checks faithfulness on many more studies.
      EXPECT_EQ(first_mismatch(faithful.back(), optuna.back(), pb.space), "")
          << objectives[o] << " seed " << seed;
      TpeOptions per_trial{.seed = seed, .seeding = Seeding::kPerTrial};
      per_trial.omit_log_sigma = true;
      omit_true.push_back(run_study(*make_tpe_sampler(per_trial), pb, kTrials, false));
      per_trial.omit_log_sigma = false;
      omit_false.push_back(run_study(*make_tpe_sampler(per_trial), pb, kTrials, false));
    }
    const Summary so = summarise(optuna), sf = summarise(faithful), st = summarise(omit_true),
                  sx = summarise(omit_false);
    for (const auto& [name, s] : {std::pair<std::string, Summary>{"Optuna 3.1 TPE", so},
                                  {"actlab tpe-faithful", sf},
                                  {"actlab tpe, omit_log_sigma=true", st},
                                  {"actlab tpe, omit_log_sigma=false", sx}}) {
      table << "| " << objectives[o] << " | " << name;
      for (int c = 0; c < 3; ++c) table << " | " << s.mean[c] << " ± " << s.se[c];
      table << " |\n";
    }
    // Our default must be no worse than Optuna on average. Our per-trial mode is Optuna's
    // algorithm with other random streams, so the two means differ by noise of about one
    // combined standard error σ = √(SE₁² + SE₂²) (best-so-far values are heavy-tailed over
    // seeds). Six comparisons (3 objectives × 2 checkpoints) at 1σ would flag an equal method
    // with probability ≈ 1 − 0.84⁶ ≈ 65 %; at 2σ ≈ 13 %. We allow 2σ: a real regression (a
    // broken kernel width, a wrong ranking) costs many σ, as the omit_log_sigma=false row on
    // toy2d (≈ −3σ at 40 and 60 trials) shows.
    const Summary& ours = default_omit ? st : sx;
    for (int c = 1; c < 3; ++c) {  // after 40 and 60 trials (at 20, 10 are random startup)
      const double tolerance = 2 * std::hypot(so.se[c], ours.se[c]);
      EXPECT_GE(ours.mean[c], so.mean[c] - tolerance)
          << objectives[o] << " after " << kCheckpoints[c] << " trials";
    }
  }
  std::printf("%s\n", table.str().c_str());  // the table recorded in docs/study.md
}

// ---------------------------------------------------------------------------------------------
// The median pruner against optuna.pruners.MedianPruner.

TEST(MedianPruner, MatchesOptunaOnSyntheticHistories) {
  std::mt19937 gen(2024);
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen); };
  auto value = [&]() -> double {
    if (uniform(0, 19) == 0) return std::numeric_limits<double>::quiet_NaN();
    return std::round(std::uniform_real_distribution<double>(0, 1)(gen) * 20) / 20;  // ties
  };
  auto steps = [&]() {
    std::map<std::int64_t, double> m;
    const int last = uniform(0, 6);
    for (int s = 1; s <= last; ++s) {
      if (uniform(0, 3) != 0) m[s] = value();  // some steps missing
    }
    return m;
  };
  auto pairs = [](const std::map<std::int64_t, double>& m) {
    Json j = Json::array();
    for (const auto& [s, v] : m) j.push_back({s, std::isnan(v) ? Json() : Json(v)});
    return j;
  };
  struct Case {
    std::vector<Trial> history;
    Trial current;
    MedianPrunerOptions options;
  };
  std::vector<Case> cases;
  Json request_cases = Json::array();
  for (int c = 0; c < 400; ++c) {
    Case k;
    k.options.n_startup_trials = static_cast<std::size_t>(uniform(0, 6));
    k.options.n_warmup_steps = uniform(0, 2);
    k.options.interval_steps = uniform(1, 3);
    k.options.n_min_trials = static_cast<std::size_t>(uniform(1, 3));
    const int n = uniform(0, 12);
    Json history = Json::array();
    for (int i = 0; i < n; ++i) {
      Trial t;
      t.number = i;
      const int s = uniform(0, 5);
      t.state = s < 3 ? TrialState::kComplete : (s < 5 ? TrialState::kPruned : TrialState::kFail);
      t.intermediate = steps();
      t.value = 0.5;
      history.push_back({{"state", state_name(t.state)}, {"value", 0.5},
                         {"intermediate", pairs(t.intermediate)}});
      k.history.push_back(t);
    }
    k.current.number = n;
    k.current.intermediate = steps();
    if (k.current.intermediate.empty()) k.current.intermediate[uniform(1, 6)] = value();
    request_cases.push_back({{"options",
                              {{"n_startup_trials", k.options.n_startup_trials},
                               {"n_warmup_steps", k.options.n_warmup_steps},
                               {"interval_steps", k.options.interval_steps},
                               {"n_min_trials", k.options.n_min_trials}}},
                             {"history", history},
                             {"current", pairs(k.current.intermediate)}});
    cases.push_back(k);
  }
  const Json answer = test::run_oracle("optuna_pruner.py", {{"cases", request_cases}});
  ASSERT_FALSE(answer.is_null());
  int pruned = 0;
  for (std::size_t c = 0; c < cases.size(); ++c) {
    const Case& k = cases[c];
    const std::int64_t step = k.current.intermediate.rbegin()->first;  // Optuna's last_step
    const bool ours = median_should_prune(k.history, k.current, step, k.options);
    const bool theirs = answer["prune"][c].get<bool>();
    pruned += theirs;
    ASSERT_EQ(ours, theirs) << "case " << c << ": " << request_cases[c].dump();
  }
  // The cases exercise both answers.
  EXPECT_GT(pruned, 40);
  EXPECT_LT(pruned, 360);
}

}  // namespace
}  // namespace actlab::study
