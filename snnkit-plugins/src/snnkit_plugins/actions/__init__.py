"""Action functions: output spikes to discrete actions (one plugin module each)."""
