"""Environments for closed-loop runs."""
