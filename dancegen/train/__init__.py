"""The staged DeepSpeed trainer (paper §3.4, §4.1): one trainer, stages 0–3 as config.

- ``config``      TrainConfig, presets, the stage table and its checks
- ``trainer``     the loop (:func:`trainer.train`) and its launch commands
- ``commands``    the ``dancegen train`` command line
- ``build``       which model a stage starts from and what it trains
- ``objective``   the losses, in the module DeepSpeed wraps; ``inputs``: the frozen side of a step
- ``autoencoder`` stage 0's VAE phase: train the model's own VAE when no pretrained one is given
- ``engine``      distributed setup and the DeepSpeed config
- ``data`` / ``samples``   streaming shards into batches, resumable
- ``checkpoints`` / ``export``   run layout, resume, consolidated fp32 model export
- ``tracking`` / ``grids``   the tracker protocol and sample grids; ``memory``: --estimate-memory
- ``toy_data``    a random dataset in SDGPip's layout for tests and benchmarks
"""
