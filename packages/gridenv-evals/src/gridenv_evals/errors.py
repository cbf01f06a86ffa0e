"""The exceptions gridenv-evals raises: each message says what was expected, what arrived and how to fix it.

All derive from :class:`EvalError` (a ``ValueError``), which the command line turns into ``error: ...`` and exit
status 2 instead of a traceback.
"""

from __future__ import annotations


class EvalError(ValueError):
    """Base class: a mistake in what the caller asked for (a name, a file, a policy), not a bug."""


class UnknownSuiteError(EvalError):
    """A suite name that is not registered; the message lists the known ones."""


class PolicyLoadError(EvalError):
    """A policy URI that cannot be turned into a policy: unknown scheme, missing or unreadable file, missing
    optional package, a factory that fails or returns something that is not a policy."""


class PolicyMismatchError(EvalError):
    """A policy whose observation shape, channels or number of actions do not fit the suite (both are named)."""


class PolicyOutputError(EvalError):
    """A policy whose ``act`` returned actions of the wrong shape, type or range."""


class SuiteDriftError(EvalError):
    """The engine or a map generator no longer produces what a suite pinned: its published numbers would move."""


class ResultsError(EvalError):
    """A results file that is missing, malformed, of another schema version, or not comparable with another."""
