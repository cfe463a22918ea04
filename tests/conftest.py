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
