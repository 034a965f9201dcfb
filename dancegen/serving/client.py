"""A Python client of the served dancegen models (tritonclient, gRPC or HTTP).

:class:`DanceClient` sends the tensors of :mod:`dancegen.serving.interfaces`, retries while the server is
UNAVAILABLE (not up yet, restarting: gRPC ``UNAVAILABLE``, HTTP connection refused/reset or 503) with
exponential backoff, applies one timeout per call, and turns the server's error responses into
:class:`~dancegen.serving.errors.ServingError` with the model's message. When ``dance_video`` was exported
with ``--stream-progress`` (decoupled) and the protocol is gRPC, :meth:`DanceClient.generate` streams and
reports progress; over HTTP such a model cannot be called (Triton's HTTP endpoint has no streaming infer).

Any other Triton client works too: the README's interface table lists names, dtypes and shapes.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from dancegen.serving import interfaces as api
from dancegen.serving.errors import ServingError

PROTOCOLS = ("grpc", "http")
_RETRY_HTTP_STATUS = {"502", "503", "504"}


def _is_unavailable(exc: BaseException) -> bool:
    """True for errors that mean "not reachable right now" (worth a retry)."""
    from tritonclient.utils import InferenceServerException

    if isinstance(exc, ConnectionError):
        return True
    if isinstance(exc, InferenceServerException):
        status = str(exc.status() or "")
        return status == "StatusCode.UNAVAILABLE" or status in _RETRY_HTTP_STATUS
    return False


def _is_timeout(exc: BaseException) -> bool:
    from tritonclient.utils import InferenceServerException

    if isinstance(exc, TimeoutError):
        return True
    if isinstance(exc, InferenceServerException):
        return str(exc.status() or "") == "StatusCode.DEADLINE_EXCEEDED"
    return type(exc).__name__ == "Timeout"  # gevent's, raised by the HTTP client


def _message(exc: BaseException) -> str:
    text = exc.message() if hasattr(exc, "message") and callable(exc.message) else str(exc)
    return " ".join(str(text).split())


class DanceClient:
    """Client of one Triton server: ``url`` is ``host:port`` (gRPC port for ``grpc``, HTTP port for ``http``).

    Args:
        url: ``127.0.0.1:8001`` (gRPC) or ``127.0.0.1:8000`` (HTTP); a ``http://``/``grpc://`` prefix is dropped.
        protocol: ``grpc`` (default) or ``http``.
        timeout: seconds one call may take (generation of a long video takes minutes on CPU).
        retries: extra attempts while the server is UNAVAILABLE.
        retry_delay: first backoff in seconds, doubled after each attempt.
        video_model: name of the served dance_video model (another name when a repository serves variants).
    """

    def __init__(
        self,
        url: str = "127.0.0.1:8001",
        protocol: str = "grpc",
        timeout: float = 600.0,
        retries: int = 3,
        retry_delay: float = 0.5,
        video_model: str = api.DANCE_VIDEO,
    ):
        if protocol not in PROTOCOLS:
            raise ServingError(f"--protocol {protocol!r} must be one of {list(PROTOCOLS)}")
        if timeout <= 0 or retries < 0 or retry_delay < 0:
            raise ServingError("timeout must be > 0 and retries, retry_delay ≥ 0")
        self.url = url.split("://", 1)[-1].rstrip("/")
        self.protocol = protocol
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.retry_delay = float(retry_delay)
        self.video_model = video_model
        self._client = None
        self._decoupled: bool | None = None

    # -- connection -----------------------------------------------------------------------------
    @property
    def module(self):
        if self.protocol == "grpc":
            import tritonclient.grpc as module
        else:
            import tritonclient.http as module
        return module

    @property
    def client(self):
        if self._client is None:
            if self.protocol == "grpc":
                self._client = self.module.InferenceServerClient(self.url)
            else:
                self._client = self.module.InferenceServerClient(
                    self.url, connection_timeout=min(self.timeout, 10.0), network_timeout=self.timeout
                )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> DanceClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _with_retries(self, what: str, call: Callable[[], object]):
        """``call()``, retried with backoff while the server is unavailable; errors become ServingError."""
        delay = self.retry_delay
        for attempt in range(self.retries + 1):
            try:
                return call()
            except ServingError:
                raise
            except Exception as exc:  # noqa: BLE001 — tritonclient, grpc, gevent and socket errors
                if _is_unavailable(exc) and attempt < self.retries:
                    time.sleep(delay)
                    delay *= 2
                    if self.protocol == "http":
                        self.close()  # a fresh connection pool; a gRPC channel reconnects by itself
                    continue
                if _is_unavailable(exc):
                    raise ServingError(
                        f"{what}: Triton server at {self.url} ({self.protocol}) is unavailable after "
                        f"{self.retries + 1} attempts ({_message(exc)}); start it with `dancegen serve start`"
                    ) from None
                if _is_timeout(exc):
                    raise ServingError(f"{what}: no answer from {self.url} within {self.timeout:g} s") from None
                raise ServingError(_message(exc)) from None
        raise AssertionError("unreachable")

    def ready(self) -> bool:
        try:
            return bool(self.client.is_server_ready())
        except Exception:  # noqa: BLE001 — any failure means not ready
            return False

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready():
            if time.monotonic() > deadline:
                raise ServingError(f"Triton server at {self.url} not ready after {timeout:g} s")
            time.sleep(0.25)

    # -- generic inference ----------------------------------------------------------------------
    def _inputs(self, inputs: Mapping[str, np.ndarray]) -> list:
        from tritonclient.utils import np_to_triton_dtype

        built = []
        for name, array in inputs.items():
            array = np.asarray(array)
            tensor = self.module.InferInput(name, list(array.shape), np_to_triton_dtype(array.dtype))
            tensor.set_data_from_numpy(array)
            built.append(tensor)
        return built

    def _outputs(self, names: Sequence[str]) -> list:
        if self.protocol == "grpc":
            return [self.module.InferRequestedOutput(name) for name in names]
        return [self.module.InferRequestedOutput(name, binary_data=True) for name in names]

    def infer(self, model: str, inputs: Mapping[str, np.ndarray], outputs: Sequence[str]) -> dict[str, np.ndarray]:
        """One request to ``model``: input name → array (BYTES as object arrays) → output name → array."""

        def call():
            kwargs = {"client_timeout": self.timeout} if self.protocol == "grpc" else {}
            result = self.client.infer(model, self._inputs(inputs), outputs=self._outputs(outputs), **kwargs)
            return {name: result.as_numpy(name) for name in outputs}

        return self._with_retries(model, call)

    # -- the dancegen models --------------------------------------------------------------------
    def music_features(self, audio: bytes, fps: float | None = None, seconds: float | None = None) -> np.ndarray:
        """Encoded audio → (N, 35) float32 EDGE features at ``fps`` (default 30)."""
        inputs = {api.AUDIO: np.array([audio], dtype=np.object_)}
        if fps is not None:
            inputs[api.FPS] = np.array([fps], np.float32)
        if seconds is not None:
            inputs[api.SECONDS] = np.array([seconds], np.float32)
        return self.infer(api.MUSIC_FEATURES, inputs, [api.FEATURES])[api.FEATURES]

    def m2penc(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(B, F, D) or (F, D) features → guidance (B, F, C, h, w) and heatmaps (B, F, J, S, S) (no B if none given)."""
        features = np.asarray(features, np.float32)
        single = features.ndim == 2
        outputs = self.infer(
            api.M2PENC, {api.FEATURES: features[None] if single else features}, [api.GUIDANCE, api.HEATMAPS]
        )
        guidance, heatmaps = outputs[api.GUIDANCE], outputs[api.HEATMAPS]
        return (guidance[0], heatmaps[0]) if single else (guidance, heatmaps)

    def streams_progress(self) -> bool:
        """True when the video model is decoupled (exported with ``--stream-progress``)."""
        if self._decoupled is None:

            def call():
                config = self.client.get_model_config(self.video_model)
                if self.protocol == "grpc":
                    return bool(config.config.model_transaction_policy.decoupled)
                return bool(config.get("model_transaction_policy", {}).get("decoupled", False))

            self._decoupled = self._with_retries(self.video_model, call)
        return self._decoupled

    def generate(
        self,
        music: bytes,
        image: bytes,
        seconds: float | None = None,
        steps: int | None = None,
        seed: int | None = None,
        guidance_scale: float | None = None,
        on_progress: Callable[[float], None] | None = None,
    ) -> bytes:
        """Encoded music + encoded photo → mp4 bytes; unset settings take the model's defaults.

        ``on_progress(fraction)`` is called as the server reports progress (gRPC + ``--stream-progress``).
        """
        inputs = {api.AUDIO: np.array([music], dtype=np.object_), api.IMAGE: np.array([image], dtype=np.object_)}
        for name, value, dtype in (
            (api.SECONDS, seconds, np.float32),
            (api.STEPS, steps, np.int32),
            (api.SEED, seed, np.int64),
            (api.GUIDANCE_SCALE, guidance_scale, np.float32),
        ):
            if value is not None:
                inputs[name] = np.array([value], dtype)
        if not self.streams_progress():
            return bytes(self.infer(self.video_model, inputs, [api.VIDEO])[api.VIDEO].reshape(-1)[0])
        if self.protocol != "grpc":
            raise ServingError(
                f"{self.video_model} streams progress (exported with --stream-progress); call it with --protocol grpc, "
                "or re-export without --stream-progress for HTTP clients"
            )
        return self._with_retries(self.video_model, lambda: self._stream(inputs, on_progress))

    def _stream(self, inputs: Mapping[str, np.ndarray], on_progress) -> bytes:
        """gRPC streaming call of the decoupled video model: PROGRESS responses, then VIDEO."""
        responses: queue.Queue = queue.Queue()
        client = self.client
        client.start_stream(callback=lambda result, error: responses.put((result, error)))
        try:
            client.async_stream_infer(
                self.video_model, self._inputs(inputs), outputs=self._outputs([api.VIDEO, api.PROGRESS])
            )
            deadline = time.monotonic() + self.timeout
            while True:
                try:
                    result, error = responses.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    raise TimeoutError from None
                if error is not None:
                    raise error
                progress = result.as_numpy(api.PROGRESS)
                if progress is not None and on_progress is not None:
                    on_progress(float(progress.reshape(-1)[0]))
                video = result.as_numpy(api.VIDEO)
                if video is not None:
                    return bytes(video.reshape(-1)[0])
        finally:
            client.stop_stream()
