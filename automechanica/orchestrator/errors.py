"""The orchestrator's errors."""

from __future__ import annotations

from automechanica.errors import AutoMechanicaError, ConflictError


class OrchestratorError(AutoMechanicaError):
    """The orchestrator could not do what was asked."""


class UnknownWorkflowError(OrchestratorError):
    """The workflow (or that version of it) is not registered here."""


class ReviewStateError(ConflictError):
    """The review was already decided."""


class PolicyError(OrchestratorError):
    """The policy change cannot be applied."""
