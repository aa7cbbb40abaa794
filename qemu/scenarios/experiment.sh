# One boot of `make experiment` (scripts/experiment.py drives it; see docs/experiments.md).
. "$OELAB_ROOT/scripts/experiment-scenario.sh"
