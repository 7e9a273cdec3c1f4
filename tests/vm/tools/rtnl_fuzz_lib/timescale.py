"""The rig's time scale (tests/vm/calibrate.ts): every wait grows with it."""
import os

SCALE = float(os.environ.get("XETH_TIME_SCALE", "1"))
