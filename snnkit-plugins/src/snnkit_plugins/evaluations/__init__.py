"""Built-in evaluations (readouts of class labels from spikes)."""
