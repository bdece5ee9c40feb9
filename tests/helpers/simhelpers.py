"""Constants shared by the simulator tests (the fixtures live in conftest.py)."""

KEY = "sim-test-key-1"
OTHER = "sim-test-key-2"
