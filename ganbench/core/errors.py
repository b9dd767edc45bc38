"""User-facing errors: each names the problem and the fix; the CLI prints it on one line, exit 2."""


class GanbenchError(Exception):
    """A problem with the user's input or environment (not a bug in ganbench)."""


class UnknownNameError(GanbenchError):
    pass


class BudgetError(GanbenchError):
    pass


class OutputError(GanbenchError):
    pass


class RegistryError(GanbenchError):
    pass
