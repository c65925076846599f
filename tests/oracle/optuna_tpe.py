"""Oracle for tests/study_sampler_test.cpp: runs Optuna 3.1 studies (maximise) and prints every
trial, so the C++ samplers can be compared trial by trial and in benchmarks.

Request (JSON file argv[1]): {"jobs": [{"sampler": "tpe" | "random", "seed": int,
  "objective": "seed_space" | "toy2d" | "toy3d", "trials": int, "prune": bool}, ...]}
Answer (JSON file argv[2]): {"results": [[{"number", "state", "params": {name: internal},
  "value", "intermediate": [[step, value], ...]}, ...], ...]} (one list of trials per job).

The objectives are deterministic and written with plain float arithmetic and math.log so that
the C++ test computes exactly the same values (any difference would change the ranking)."""
import json
import math
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)

CHOICES = ["sigmoid", "relu", "leaky_relu(negative_slope=0.01)", "leaky_relu(negative_slope=0.1)",
           "prelu", "elu", "tanh", "silu"]
# Per-choice merits of the study-shaped objective (same table in the C++ test).
CONV = [0.10, 0.62, 0.70, 0.74, 0.80, 0.77, 0.55, 0.83]
FC = [0.20, 0.71, 0.69, 0.73, 0.66, 0.78, 0.60, 0.75]


def seed_space(trial):
    c = trial.suggest_categorical("conv_activation", CHOICES)
    f = trial.suggest_categorical("fc_activation", CHOICES)
    lr = trial.suggest_float("learning_rate", 5e-4, 1e-2, log=True)
    i, j = CHOICES.index(c), CHOICES.index(f)
    d = math.log(lr) - math.log(3e-3)
    return 0.5 * CONV[i] + 0.3 * FC[j] + 0.05 * ((i * 3 + j * 5) % 7) / 7.0 - 0.08 * d * d


def toy2d(trial):
    x = trial.suggest_float("x", -5.0, 5.0)
    y = trial.suggest_float("y", 1e-3, 1.0, log=True)
    d = math.log(y) + 3.0
    return -(x - 1.3) * (x - 1.3) - 0.5 * d * d


def toy3d(trial):
    x = trial.suggest_float("x", -3.0, 3.0)
    y = trial.suggest_float("y", -3.0, 3.0)
    z = trial.suggest_float("z", 1e-4, 1.0, log=True)
    a = 1.0 - x
    b = y - x * x
    d = math.log(z) + 4.0
    return -(a * a + 5.0 * b * b) - 0.3 * d * d


OBJECTIVES = {"seed_space": seed_space, "toy2d": toy2d, "toy3d": toy3d}


def prunable(objective):
    """Reports 4 intermediate values (value·k/4 for steps 1..4); trials whose number is 3 mod 5
    are pruned after step 2, trial 7 reports NaN at step 2 and is pruned, trial 12 is pruned
    before reporting anything. The rule is fixed (no pruner), so the C++ side replays it."""
    def wrapped(trial):
        value = objective(trial)
        if trial.number == 12:
            raise optuna.TrialPruned()
        for step in range(1, 5):
            reported = value * step / 4.0
            if trial.number == 7 and step == 2:
                reported = float("nan")
            trial.report(reported, step)
            if (trial.number % 5 == 3 or trial.number == 7) and step == 2:
                raise optuna.TrialPruned()
        return value
    return wrapped


def run(job):
    if job["sampler"] == "tpe":
        sampler = optuna.samplers.TPESampler(seed=job["seed"])
    else:
        sampler = optuna.samplers.RandomSampler(seed=job["seed"])
    study = optuna.create_study(direction="maximize", sampler=sampler,
                                pruner=optuna.pruners.NopPruner())
    objective = OBJECTIVES[job["objective"]]
    if job.get("prune"):
        objective = prunable(objective)
    study.optimize(objective, n_trials=job["trials"])
    trials = []
    for t in study.trials:
        trials.append({
            "number": t.number,
            "state": t.state.name,
            "params": {k: t.distributions[k].to_internal_repr(v) for k, v in t.params.items()},
            "value": t.value,
            "intermediate": [[s, (None if math.isnan(v) else v)]
                             for s, v in sorted(t.intermediate_values.items())],
        })
    return trials


def main():
    with open(sys.argv[1]) as f:
        request = json.load(f)
    results = [run(job) for job in request["jobs"]]
    with open(sys.argv[2], "w") as f:
        json.dump({"results": results}, f)


if __name__ == "__main__":
    main()
