"""Model registry: register versions with provenance tags, promote ``candidate`` → ``champion`` behind metric gates.

Promotion uses registered-model **aliases** (``candidate``, ``champion``), never the deprecated stages.
A version's metrics are its ``metric.<name>`` tags (set at registration), else its source run's metrics.

    registry = ModelRegistry()
    version = registry.register("models:/m-…", "dancegen", metrics={"fvd": 120.0}, dataset_manifest=manifest)
    result = registry.promote("dancegen", version, {"fvd": "lower", "beat_align": "higher"})
    print(result.reason)   # "stays candidate: fvd 160 is not lower than champion v1's 150"
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from dancegen.tracking.endpoints import Endpoints, mlflow_uris, require_tracking_server, resolve_endpoints
from dancegen.tracking.errors import RegistryError, TrackingError
from dancegen.tracking.provenance import git_revision, manifest_hash
from dancegen.tracking.scrub import scrub, scrub_text

CANDIDATE = "candidate"
CHAMPION = "champion"
METRIC_TAG = "metric."
DEFAULT_GATES: dict[str, str] = {"fvd": "lower", "beat_align": "higher"}  # the paper's headline video/music metrics
Direction = Literal["lower", "higher"]


def parse_gates(pairs: list[str] | None) -> dict[str, str]:
    """``["fvd=lower", "beat_align=higher"]`` → ``{"fvd": "lower", "beat_align": "higher"}``."""
    gates: dict[str, str] = {}
    for pair in pairs or []:
        metric, _, direction = pair.partition("=")
        if not metric or direction not in ("lower", "higher"):
            raise RegistryError(f"gate {pair!r} must look like METRIC=lower or METRIC=higher (e.g. fvd=lower)")
        gates[metric] = direction
    return gates


@dataclass(frozen=True)
class GateCheck:
    """One metric compared: the candidate passes if strictly better than the champion."""

    metric: str
    direction: str
    candidate: float
    champion: float

    @property
    def passed(self) -> bool:
        return self.candidate < self.champion if self.direction == "lower" else self.candidate > self.champion

    def describe(self, champion_version: str) -> str:
        relation = ("<" if self.direction == "lower" else ">") if self.passed else f"is not {self.direction} than"
        return f"{self.metric} {self.candidate:g} {relation} champion v{champion_version}'s {self.champion:g}"


@dataclass(frozen=True)
class PromotionResult:
    model: str
    version: str
    promoted: bool
    reason: str
    previous_champion: str | None = None
    checks: tuple[GateCheck, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class VersionSummary:
    model: str
    version: str
    aliases: tuple[str, ...]
    metrics: dict[str, float]
    run_id: str | None

    def line(self) -> str:
        aliases = ",".join(self.aliases) or "-"
        metrics = " ".join(f"{k}={v:g}" for k, v in sorted(self.metrics.items())) or "(no metrics)"
        return f"{self.model}  v{self.version:<4} {aliases:<20} {metrics}  run={self.run_id or '-'}"


class ModelRegistry:
    """The MLflow model registry at ``tracking_uri`` (default: :func:`resolve_endpoints`)."""

    def __init__(self, tracking_uri: str | None = None, attempts: int = 5, backoff: float = 0.5) -> None:
        from mlflow import MlflowClient

        self._endpoints: Endpoints | None = None
        if tracking_uri is None:
            self._endpoints = resolve_endpoints()
            tracking_uri = self._endpoints.tracking_uri
        require_tracking_server(tracking_uri, attempts=attempts, backoff=backoff)
        self.tracking_uri = tracking_uri
        self._client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)

    # -- registration ----------------------------------------------------------------------------
    def register(
        self,
        model_uri: str,
        name: str,
        *,
        metrics: Mapping[str, float] | None = None,
        dataset_manifest: Mapping[str, Any] | bytes | str | None = None,
        config: Mapping[str, Any] | None = None,
        revision: str | None = None,
        alias: str | None = CANDIDATE,
    ) -> str:
        """Register ``model_uri`` (``runs:/…``, ``models:/m-…``) as a new version of ``name``; return the version.

        Tags: ``metric.<k>``, ``dataset.manifest_sha256``, ``git.revision`` (default: this checkout's) and
        ``config`` (scrubbed JSON). The version gets ``alias`` (``candidate``) unless ``alias`` is None.
        """
        import mlflow

        tags: dict[str, str] = {f"{METRIC_TAG}{k}": repr(float(v)) for k, v in (metrics or {}).items()}
        if dataset_manifest is not None:
            tags["dataset.manifest_sha256"] = manifest_hash(dataset_manifest)
        revision = revision or git_revision()
        if revision:
            tags["git.revision"] = revision
        if config is not None:
            tags["config"] = json.dumps(scrub(dict(config)), sort_keys=True, default=str)
        exported = self._endpoints.exported() if self._endpoints else contextlib.nullcontext()
        with self._calling(f"register {model_uri} as {name!r}"), exported, mlflow_uris(self.tracking_uri):
            version = mlflow.register_model(model_uri, name, tags=tags).version
            if alias:
                self._client.set_registered_model_alias(name, alias, version)
        return str(version)

    # -- promotion ---------------------------------------------------------------------------------
    def promote(self, name: str, version: int | str, gates: Mapping[str, str] | None = None) -> PromotionResult:
        """Make ``version`` the champion if it beats the current champion on every gate (strictly).

        ``gates`` maps metric → ``"lower"``/``"higher"`` (default :data:`DEFAULT_GATES`). Without a champion the
        version is promoted. Otherwise, if any gate fails, the version keeps (or gets) the ``candidate``
        alias and the result's ``reason`` names the metric and both values. A gate metric that neither version
        has (unavailable, e.g. FVD without I3D weights) is skipped and named in the reason; one that only
        one of them has is an error; with no gate left to compare the version stays candidate. The outcome is
        also recorded in the version's ``promotion`` tag.
        """
        gates = dict(DEFAULT_GATES if gates is None else gates)
        for metric, direction in gates.items():
            if direction not in ("lower", "higher"):
                raise RegistryError(f"gate {metric}={direction!r}: direction must be 'lower' or 'higher'")
        version = str(version)
        candidate = self._version(name, version)
        champion = self._alias_version(name, CHAMPION)
        if champion is not None and str(champion.version) == version:
            return PromotionResult(name, version, True, f"v{version} is already the champion", version)
        if champion is None:
            checks: tuple[GateCheck, ...] = ()
            promoted, reason = True, f"no champion yet: v{version} becomes champion"
        else:
            mine, theirs = self._metrics(candidate), self._metrics(champion)
            # a metric neither version has (FVD without I3D weights, say) cannot decide: that gate is skipped
            unavailable = [m for m in gates if m not in mine and m not in theirs]
            for metric in gates:
                for who, values in ((candidate, mine), (champion, theirs)):
                    if metric not in unavailable and metric not in values:
                        raise RegistryError(
                            f"gate metric {metric!r} is missing on {name} v{who.version} (no tag {METRIC_TAG}{metric} "
                            f"and no run metric); register the version with it or drop the gate"
                        )
            checks = tuple(GateCheck(m, d, mine[m], theirs[m]) for m, d in gates.items() if m not in unavailable)
            failed = [c for c in checks if not c.passed]
            promoted = not failed and (bool(checks) or not gates)  # no gates at all: promote unconditionally
            details = "; ".join(c.describe(champion.version) for c in (failed or checks))
            details = details or ("no gate metric to compare" if gates else "no gates configured")
            if unavailable:
                details += f" ({', '.join(unavailable)} unavailable on both: gate skipped)"
            reason = f"promoted over v{champion.version}: {details}" if promoted else f"stays candidate: {details}"
        with self._calling(f"promote {name} v{version}"):
            if promoted:
                self._client.set_registered_model_alias(name, CHAMPION, version)
                if self._aliases(name).get(CANDIDATE) == version:
                    self._client.delete_registered_model_alias(name, CANDIDATE)
            else:
                self._client.set_registered_model_alias(name, CANDIDATE, version)
            self._client.set_model_version_tag(name, version, "promotion", reason[:5000])
        previous = str(champion.version) if champion is not None else None
        return PromotionResult(name, version, promoted, reason, previous, checks)

    # -- reading ---------------------------------------------------------------------------------
    def list_versions(self, name: str | None = None) -> list[VersionSummary]:
        """Every version (of ``name``, or of all models), newest first per model, with aliases and metrics."""
        with self._calling("list registered models"):
            names = [name] if name else sorted(m.name for m in self._client.search_registered_models())
        summaries = []
        for model in names:
            self._registered_model(model)
            aliases = self._aliases(model)
            with self._calling(f"list versions of {model!r}"):
                versions = self._client.search_model_versions(f"name = '{model}'")
            for mv in sorted(versions, key=lambda v: int(v.version), reverse=True):
                tagged = tuple(sorted(alias for alias, held in aliases.items() if held == str(mv.version)))
                summaries.append(VersionSummary(model, str(mv.version), tagged, self._metrics(mv), mv.run_id))
        return summaries

    def version_by_alias(self, name: str, alias: str) -> str | None:
        mv = self._alias_version(name, alias)
        return None if mv is None else str(mv.version)

    def _registered_model(self, name: str):
        from mlflow.exceptions import MlflowException

        try:
            return self._client.get_registered_model(name)
        except MlflowException as exc:
            if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise self._error(f"read model {name!r}", exc) from None
        with self._calling("list registered models"):
            known = sorted(m.name for m in self._client.search_registered_models())
        raise RegistryError(
            f"no registered model {name!r} at {scrub_text(self.tracking_uri)} (models: {', '.join(known) or 'none'}); "
            "register one first (dancegen.tracking.models.log_generator)"
        )

    def _version(self, name: str, version: str):
        from mlflow.exceptions import MlflowException

        self._registered_model(name)
        try:
            return self._client.get_model_version(name, version)
        except MlflowException as exc:
            if exc.error_code not in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                raise self._error(f"read {name} v{version}", exc) from None
        with self._calling(f"list versions of {name!r}"):
            known = sorted(int(v.version) for v in self._client.search_model_versions(f"name = '{name}'"))
        raise RegistryError(
            f"model {name!r} has no version {version!r} at {scrub_text(self.tracking_uri)} "
            f"(versions: {', '.join(map(str, known)) or 'none'}); see `dancegen registry list`"
        )

    def _alias_version(self, name: str, alias: str):
        from mlflow.exceptions import MlflowException

        try:
            return self._client.get_model_version_by_alias(name, alias)
        except MlflowException as exc:
            if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                return None
            raise self._error(f"read alias {alias!r} of {name!r}", exc) from None

    def _aliases(self, name: str) -> dict[str, str]:
        """alias → the version holding it."""
        with self._calling(f"read aliases of {name!r}"):
            aliases = self._client.get_registered_model(name).aliases or {}
        return {alias: str(version) for alias, version in aliases.items()}

    def _metrics(self, mv) -> dict[str, float]:
        """``metric.<k>`` tags of a model version, completed by its source run's metrics."""
        metrics: dict[str, float] = {}
        if mv.run_id:
            with contextlib.suppress(Exception):  # a deleted source run just has no metrics
                metrics.update(self._client.get_run(mv.run_id).data.metrics)
        for key, value in (mv.tags or {}).items():
            if key.startswith(METRIC_TAG):
                with contextlib.suppress(ValueError):
                    metrics[key[len(METRIC_TAG) :]] = float(value)
        return metrics

    def _error(self, what: str, exc: Exception) -> TrackingError:
        detail = " ".join(scrub_text(str(exc)).split())[:300]
        return TrackingError(f"MLflow registry at {scrub_text(self.tracking_uri)}: cannot {what}: {detail}")

    @contextlib.contextmanager
    def _calling(self, what: str) -> Iterator[None]:
        from mlflow.exceptions import MlflowException

        try:
            yield
        except TrackingError:
            raise
        except (MlflowException, OSError) as exc:
            raise self._error(what, exc) from None


def promote(model_name: str, version: int | str, gates: Mapping[str, str] | None = None) -> PromotionResult:
    """Promote ``model_name`` v``version`` to champion behind ``gates`` (see :meth:`ModelRegistry.promote`)."""
    return ModelRegistry().promote(model_name, version, gates)
