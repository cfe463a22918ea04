import os

import pytest
import torch
from hypothesis import settings

# Property tests run real tensor code: no per-example deadline, a moderate number of examples.
settings.register_profile("swin_edu", deadline=None, max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "40")))
settings.load_profile("swin_edu")


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)

# Under pytest-xdist (`make test` runs one worker per core) each worker computes with one thread: two workers
# with a full set of threads each would fight over the cores (measured on 2 cores: 70% more CPU time, no gain).
# The notebooks' kernels are processes of their own and keep torch's default.
if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)
