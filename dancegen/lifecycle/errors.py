"""The lifecycle's own user error: a pipeline that cannot be compiled, run or submitted, or a step that failed."""

from dancegen.errors import DancegenError


class PipelineError(DancegenError):
    """A pipeline or pipeline step that cannot run as asked (unknown parameter, unreachable KFP API, failed step)."""
