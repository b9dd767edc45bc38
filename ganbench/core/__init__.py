"""The foundation every layer above may import: presets and budgets (config), user errors, hyper-
parameters, atomic file writes (io), logging, seeding and the metric direction table. It imports
nothing else of ganbench."""
