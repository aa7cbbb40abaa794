"""Shared by the experiment tests: an experiment file from text."""
import os
import tempfile
import textwrap

import experiment_config as cfg

# ethtool -K names the tests may use, whatever the host's ethtool lists
FEATURES = {"generic-receive-offload", "rx-gro-hw"} | set(cfg.FEATURE_ALIASES)


def toml_file(text, name="exp.toml"):
    p = os.path.join(tempfile.mkdtemp(), name)
    with open(p, "w") as f:
        f.write(textwrap.dedent(text))
    return p


def load_text(text):
    return cfg.load(toml_file(text), FEATURES)
