"""The evaluation's own user error: clip sets that cannot be paired or scored as given."""

from dancegen.errors import DancegenError


class EvaluationError(DancegenError):
    """Real and generated clip sets that do not match (names, frame rates), or an ablation that cannot run."""
