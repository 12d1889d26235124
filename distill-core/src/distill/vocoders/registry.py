"""Finding vocoder plugins through entry points and calling them in isolation.

Each plugin's hooks are called one plugin at a time, so an exception in one never
reaches another; import and registration failures are recorded, not raised.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy

from distill.vocoders import hookspecs

ENTRY_POINT_GROUP = "distill.vocoders"

log = logging.getLogger(__name__)


@dataclass
class PluginRecord:
    """What `distill vocoders list` shows for one plugin."""

    name: str
    distribution: str | None
    version: str | None
    status: str  # "ok" or "broken"
    error: str | None = None
    summary: str | None = None  # the distribution's one-line description: what this vocoder is

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for optional in ("error", "summary"):
            if data[optional] is None:
                del data[optional]
        return data


def describe_error(exc: BaseException) -> str:
    """One line naming the exception and its message."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


class VocoderRegistry:
    """The installed vocoder plugins, keyed by entry-point name."""

    def __init__(self, eps: Iterable[EntryPoint] | None = None) -> None:
        self._pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._pm.add_hookspecs(hookspecs)
        self._records: dict[str, PluginRecord] = {}
        for ep in entry_points(group=ENTRY_POINT_GROUP) if eps is None else eps:
            dist = getattr(ep, "dist", None)
            distribution = dist.metadata["Name"] if dist is not None else None
            version = dist.version if dist is not None else None
            summary = dist.metadata["Summary"] if dist is not None else None
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken plugin must not take the others down
                self._mark_broken(ep.name, distribution, version, exc)
                continue
            self.register(plugin, ep.name, distribution, version, summary)

    def register(
        self,
        plugin: object,
        name: str,
        distribution: str | None = None,
        version: str | None = None,
        summary: str | None = None,
    ) -> None:
        """Add a plugin object by hand (tests, embedding applications)."""
        if name in self._records:
            log.warning("Vocoder plugin '%s' from %s ignored: the name is already taken.", name, distribution)
            return
        try:
            self._pm.register(plugin, name=name)
        except Exception as exc:
            self._mark_broken(name, distribution, version, exc)
            return
        self._records[name] = PluginRecord(name, distribution, version, "ok", summary=summary)

    def _mark_broken(self, name: str, distribution: str | None, version: str | None, exc: BaseException) -> None:
        self._records[name] = PluginRecord(name, distribution, version, "broken", describe_error(exc))
        plugin = self._pm.get_plugin(name)
        if plugin is not None:
            self._pm.unregister(plugin)

    def records(self) -> list[PluginRecord]:
        return sorted(self._records.values(), key=lambda r: r.name)

    def record(self, name: str) -> PluginRecord | None:
        return self._records.get(name)

    def names(self) -> list[str]:
        """Plugins that loaded, in name order."""
        return [r.name for r in self.records() if r.status == "ok"]

    def implements(self, plugin_name: str, hook: str) -> bool:
        """Whether the working plugin `plugin_name` has an implementation of `hook`."""
        plugin = self._pm.get_plugin(plugin_name)
        return plugin is not None and any(i.plugin is plugin for i in getattr(self._pm.hook, hook).get_hookimpls())

    def call(self, plugin_name: str, hook: str, /, **kwargs: Any) -> Any:
        """Call `hook` on plugin `plugin_name` alone, passing only the arguments it accepts."""
        plugin = self._pm.get_plugin(plugin_name)
        impls = [i for i in getattr(self._pm.hook, hook).get_hookimpls() if i.plugin is plugin]
        if plugin is None or not impls:
            return None
        impl = impls[0]
        return impl.function(*[kwargs.get(arg) for arg in impl.argnames])

    def priorities(self, model: object) -> dict[str, int]:
        """Every working plugin's `vocoder_priority` answer; a plugin that raises is marked broken."""
        answers: dict[str, int] = {}
        for name in self.names():
            try:
                priority = self.call(name, "vocoder_priority", model=model)
            except Exception as exc:
                record = self._records[name]
                self._mark_broken(name, record.distribution, record.version, exc)
                log.warning("Vocoder plugin '%s' is broken and was skipped: %s", name, describe_error(exc))
                continue
            if priority is not None:
                answers[name] = int(priority)
        return answers


@lru_cache(maxsize=1)
def get_registry() -> VocoderRegistry:
    """The process-wide registry, built on first use (never at import)."""
    return VocoderRegistry()
