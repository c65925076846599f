"""Oracle for tests/study_sampler_test.cpp: numpy 1.24 RandomState draws and Optuna 3.1's
truncated-normal helpers, on inputs chosen by the test.

Request: {"seeds": [int], "randint_n": [int], "choice_p": [float], "ppf": [[q, a, b]],
  "logpdf": [[x, a, b, loc, scale]], "log_ndtr": [float], "erf": [float]}
Answer: {"streams": [{"seed", "random_sample": [10 floats], "randint": [per n, 5 ints],
  "choice": [20 ints], "shuffle": [10 ints]}], "ppf": [...], "logpdf": [...],
  "log_ndtr": [...], "erf": [...], "log": [np.log of each]} (NaN and ±inf as null / "inf" / "-inf" strings)."""
import json
import math
import sys

import numpy as np
from optuna.samplers._tpe import _erf
from optuna.samplers._tpe import _truncnorm


def num(v):
    v = float(v)
    if math.isnan(v):
        return None
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def main():
    with open(sys.argv[1]) as f:
        req = json.load(f)
    streams = []
    for seed in req["seeds"]:
        rng = np.random.RandomState(seed)
        s = {"seed": seed, "random_sample": [float(v) for v in rng.random_sample(10)]}
        s["randint"] = [[int(rng.randint(0, n)) for _ in range(5)] for n in req["randint_n"]]
        p = np.asarray(req["choice_p"], dtype=float)
        p = p / p.sum()
        s["choice"] = [int(v) for v in rng.choice(len(p), 20, p=p)]
        x = list(range(10))
        rng.shuffle(x)
        s["shuffle"] = x
        streams.append(s)
    ppf = [num(_truncnorm.ppf(np.asarray([q]), np.asarray([a]), np.asarray([b]))[0])
           for q, a, b in req["ppf"]]
    logpdf = [num(_truncnorm.logpdf(np.asarray([x]), np.asarray([a]), np.asarray([b]),
                                    loc=np.asarray([loc]), scale=np.asarray([scale]))[0])
              for x, a, b, loc, scale in req["logpdf"]]
    log_ndtr = [num(v) for v in _truncnorm._log_ndtr(np.asarray(req["log_ndtr"], dtype=float))]
    erf = [num(v) for v in _erf.erf(np.asarray(req["erf"], dtype=float))]
    log = [float(v) for v in np.log(np.asarray(req.get("log", []), dtype=float))]
    with open(sys.argv[2], "w") as f:
        json.dump({"streams": streams, "ppf": ppf, "logpdf": logpdf, "log_ndtr": log_ndtr,
                   "erf": erf, "log": log}, f)


if __name__ == "__main__":
    main()
