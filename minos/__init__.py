"""Minos: an agentic math solver with a verifier in the loop (see README)."""

__version__ = "0.1.0"
