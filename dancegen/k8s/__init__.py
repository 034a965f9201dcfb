"""Training stages as Kubeflow PyTorchJobs: build (:mod:`.pytorchjob`), submit/wait/logs/cancel
(:mod:`.client`), the KFP component's entry point (:mod:`.stage`) and the ``dancegen k8s`` commands
(:mod:`.commands`). :mod:`.testcluster` drives ``scripts/test-cluster.sh`` for tests.
"""

from dancegen.k8s.client import ClusterError, JobStatus, JobTimeout, PyTorchJobClient
from dancegen.k8s.pytorchjob import PyTorchJobConfig, build_pytorchjob, make_config, to_yaml
from dancegen.k8s.stage import submit_training_stage

__all__ = [
    "ClusterError",
    "JobStatus",
    "JobTimeout",
    "PyTorchJobClient",
    "PyTorchJobConfig",
    "build_pytorchjob",
    "make_config",
    "submit_training_stage",
    "to_yaml",
]
