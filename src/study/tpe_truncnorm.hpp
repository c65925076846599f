// The truncated normal of Optuna 3.1's TPE (optuna/samplers/_tpe/_truncnorm.py and _erf.py),
// scalar by scalar. Private to src/study.
#pragma once

namespace actlab::study::truncnorm {

// Optuna's own erf (a port of FreeBSD's s_erf.c, vectorised in numpy); used by its ndtr.
double optuna_erf(double x);
// log Φ(a) as Optuna computes it (libm erf/erfc, asymptotic series below −20).
double log_ndtr(double a);
// log of the standard normal mass in [a, b].
double log_gauss_mass(double a, double b);
// The q-quantile of the standard normal truncated to [a, b] (Optuna's ppf: bisection on log Φ).
double ppf(double q, double a, double b);
// Log-density at x of N(loc, scale²) truncated to [loc + a·scale, loc + b·scale].
// omit_log_sigma = true reproduces Optuna 3.1, which leaves out −log(scale) (optuna#5109).
double logpdf(double x, double a, double b, double loc, double scale, bool omit_log_sigma);

}  // namespace actlab::study::truncnorm
