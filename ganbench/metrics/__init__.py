"""Metrics see samplers and tensors, never variants."""
