"""KFP pipelines of the dancegen lifecycle, composed from ``components/`` (compiled YAML is a build output:
``dancegen pipeline compile``)."""
