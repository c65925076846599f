"""Oracle for tests/study_sampler_test.cpp: optuna.pruners.MedianPruner(...).prune on synthetic
histories of a maximised study.

Request: {"cases": [{"options": {"n_startup_trials", "n_warmup_steps", "interval_steps",
  "n_min_trials"}, "history": [{"state": "COMPLETE" | "PRUNED" | "FAIL", "value": float,
  "intermediate": [[step, value | null]]}], "current": [[step, value | null]]}]}
(null = NaN). Answer: {"prune": [bool per case]}."""
import json
import math
import sys

import optuna
from optuna.trial import TrialState

optuna.logging.set_verbosity(optuna.logging.ERROR)


def values(pairs):
    return {int(s): (math.nan if v is None else float(v)) for s, v in pairs}


def main():
    with open(sys.argv[1]) as f:
        req = json.load(f)
    answers = []
    for case in req["cases"]:
        o = case["options"]
        pruner = optuna.pruners.MedianPruner(
            n_startup_trials=o["n_startup_trials"], n_warmup_steps=o["n_warmup_steps"],
            interval_steps=o["interval_steps"], n_min_trials=o["n_min_trials"])
        study = optuna.create_study(direction="maximize", pruner=pruner)
        for t in case["history"]:
            state = TrialState[t["state"]]
            study.add_trial(optuna.trial.create_trial(
                state=state, value=t["value"] if state == TrialState.COMPLETE else None,
                intermediate_values=values(t["intermediate"])))
        # prune() reads only the current trial's intermediate values (and last step).
        current = optuna.trial.create_trial(state=TrialState.COMPLETE, value=0.0,
                                            intermediate_values=values(case["current"]))
        answers.append(bool(pruner.prune(study, current)))
    with open(sys.argv[2], "w") as f:
        json.dump({"prune": answers}, f)


if __name__ == "__main__":
    main()
