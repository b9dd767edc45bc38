"""Running experiments: the training loop (train), one run and the suite (suite), the held-out
reference rows (reference), convergence curves (curves) and per-run claims (claims). Above data,
variants and metrics; writes through ganbench.results."""
