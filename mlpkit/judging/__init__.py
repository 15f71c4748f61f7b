"""Judging: a probed cell's verdict, decided outside the student's kernel.

Step 3 of a submission's path (docs/design.md). A hidden test's probe publishes what it saw
(source/mlp_lab/lab_checks.py); after the run, nbgrader's JudgeProbes step
(mlpkit/preprocessors/judge_probes.py) gives each probed cell its verdict:
- `observations.py`: decode the probe's private output channel, trusting nothing;
- `reference.py`: the same probes' observations on the source notebook, computed once and cached;
- `verdicts.py`: load `judges/<assignment>.py` and turn each cell's outputs into "passed" or
  the judge's message;
- `assertions.py`: what the judges themselves call (Failed, close, gradients_match, ...),
  re-exported here, so a lab's judges write `from mlpkit.judging import Failed, close`.
"""
from mlpkit.judging.assertions import (Failed, agrees, as_array, close, gradient_structure, gradients_match,
                                       relative_error, same_inputs, softmax, softmax_calls_honest, structure,
                                       trajectory_close)

__all__ = ["Failed", "agrees", "as_array", "close", "gradient_structure", "gradients_match", "relative_error",
           "same_inputs", "softmax", "softmax_calls_honest", "structure", "trajectory_close"]
