"""Triton serving: a standard model repository (Python backend), the local server, and clients.

- :mod:`~dancegen.serving.interfaces`: the three models' tensors (names, dtypes, shapes) and parameters.
- :mod:`~dancegen.serving.model_config`: ``config.pbtxt`` written from the interfaces, checked at load.
- :mod:`~dancegen.serving.export`: DanceModel (dir, ``s3://``, ``models:/``) → repository (dir or ``s3://``).
- ``model_repository/<model>/1/model.py``: the ``TritonPythonModel`` of ``music_features``, ``m2penc`` and
  ``dance_video`` (copied into the exported repository), with :mod:`~dancegen.serving.backend` (their glue to
  ``triton_python_backend_utils``; importable only inside the server), :mod:`~dancegen.serving.requests`
  (per-request checks), :mod:`~dancegen.serving.video_job` (dance_video's in-process diffusion) and
  :mod:`~dancegen.serving.torchscript` (m2penc's forward as a checked TorchScript trace).
- :mod:`~dancegen.serving.server`: the tritonserver binary from nvidia-pytriton on 127.0.0.1.
- :mod:`~dancegen.serving.client`: :class:`~dancegen.serving.client.DanceClient` (tritonclient, gRPC/HTTP).
- :mod:`~dancegen.serving.metrics`: the Prometheus metrics endpoint, parsed.
- :mod:`~dancegen.serving.commands`: ``dancegen serve export|start|stop|status`` and ``dancegen client generate``.
"""
