"""Read Triton's Prometheus metrics endpoint (``/metrics`` on the metrics port) into a flat dict.

Useful series: ``nv_inference_request_success`` / ``_failure`` and ``nv_inference_count`` per model and
version, ``nv_inference_request_duration_us`` / ``nv_inference_queue_duration_us`` (cumulative), and
``dancegen_rejected_requests`` per model and reason (counted by the models themselves).
"""

from __future__ import annotations

import urllib.request

from dancegen.serving.errors import ServingError

MetricKey = tuple[str, tuple[tuple[str, str], ...]]


def parse_metrics(text: str) -> dict[MetricKey, float]:
    """Prometheus text → ``{(sample name, sorted (label, value) pairs): value}``."""
    from prometheus_client.parser import text_string_to_metric_families

    values: dict[MetricKey, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            name = sample.name
            if family.type == "counter" and name == f"{family.name}_total":
                name = family.name  # prometheus_client appends _total to counters; keep the name Triton shows
            values[(name, tuple(sorted(sample.labels.items())))] = float(sample.value)
    return values


def read_metrics(url: str, timeout: float = 5.0) -> dict[MetricKey, float]:
    """Scrape ``url`` (e.g. ``http://127.0.0.1:8002/metrics``) and parse it."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            text = response.read().decode()
    except OSError as exc:
        raise ServingError(f"cannot read metrics from {url}: {exc}; is the server running?") from None
    return parse_metrics(text)
