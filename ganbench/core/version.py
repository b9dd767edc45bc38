"""The package version, below every layer so that any layer can record it in a row."""

__version__ = "0.1.0"
