"""Finding vocoder plugins through entry points and calling them in isolation.

Plugin code never runs unguarded: every import, registration and hook call goes through
`call_plugin`, so whatever a plugin raises (`SystemExit` included) is recorded or turned
into a `PluginFailure` for the caller, and whatever it prints goes to stderr, where it
cannot corrupt a `--json` document on stdout. Only Ctrl-C (`KeyboardInterrupt`) passes
through: the user asked to stop.

Two distributions may claim the same vocoder name. The rule (`distill.vocoders.plugins`):
a first-party distribution wins; otherwise the distribution whose normalised name sorts
first wins. Both stay listed (the other one inactive) and a warning names them.
"""

from __future__ import annotations

import contextlib
import logging
import numbers
import sys
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib.metadata import EntryPoint
from typing import Any, TypeVar

from distill.vocoders.plugins import PluginHooks, claim_order, claims, origin
from distill.vocoders.verdict import GENERATION

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class PluginRecord:
    """What `distill vocoders list` shows for one plugin.

    `stage` says where a broken plugin failed: "import", "register" or "vocoder_priority".
    An inactive record lost a name clash to `shadowed_by` and is never called.
    """

    name: str
    distribution: str | None
    version: str | None
    status: str  # "ok" or "broken"
    error: str | None = None
    stage: str | None = None
    active: bool = True
    shadowed_by: str | None = None
    summary: str | None = None  # the distribution's one-line description: what this vocoder is

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for optional in ("error", "stage", "shadowed_by", "summary"):
            if data[optional] is None:
                del data[optional]
        return data


class PluginFailure(Exception):
    """Plugin code raised `original` (any `BaseException` but Ctrl-C); `str()` is one line."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(describe_error(original))
        self.original = original


def describe_error(exc: BaseException) -> str:
    """One line naming the exception and its message."""
    if isinstance(exc, SystemExit):
        return f"SystemExit: the plugin called sys.exit({'' if exc.code is None else repr(exc.code)})"
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def call_plugin(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run plugin code: prints go to stderr, anything raised but Ctrl-C becomes `PluginFailure`."""
    try:
        with contextlib.redirect_stdout(sys.stderr):
            return function(*args, **kwargs)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # SystemExit and custom BaseExceptions from plugins too
        raise PluginFailure(exc) from exc


class VocoderRegistry:
    """The installed vocoder plugins, keyed by entry-point name."""

    def __init__(self, eps: Iterable[EntryPoint] | None = None) -> None:
        self.hooks = PluginHooks()
        self._records: dict[str, PluginRecord] = {}
        self._inactive: list[PluginRecord] = []
        for name, (winner, *losers) in claims(eps).items():
            self._load(winner)
            for loser in losers:
                self._load(loser, shadowed_by=origin(winner)[0])
            if losers:
                others = ", ".join(str(origin(ep)[0]) for ep in losers)
                log.warning(
                    "Vocoder name '%s' is claimed by %s and %s; using %s (first-party wins, then the "
                    "distribution name that sorts first). Uninstall one to choose.",
                    name,
                    origin(winner)[0],
                    others,
                    origin(winner)[0],
                )

    def _load(self, ep: EntryPoint, shadowed_by: str | None = None) -> None:
        distribution, version, summary = origin(ep)
        try:
            plugin = call_plugin(ep.load)
        except PluginFailure as failure:  # a broken plugin must not take the others down
            record = PluginRecord(ep.name, distribution, version, "broken", str(failure), "import", summary=summary)
        else:
            if shadowed_by is None:
                self.register(plugin, ep.name, distribution, version, summary)
                return
            record = PluginRecord(ep.name, distribution, version, "ok", summary=summary)
        if shadowed_by is None:
            self._records[ep.name] = record
        else:
            record.active, record.shadowed_by = False, shadowed_by
            self._inactive.append(record)

    def register(
        self,
        plugin: object,
        name: str,
        distribution: str | None = None,
        version: str | None = None,
        summary: str | None = None,
    ) -> None:
        """Add a plugin object by hand (tests, embedding applications); a taken name keeps its owner."""
        if name in self._records:
            owner = self._records[name].distribution
            log.warning(
                "Vocoder plugin '%s' from %s ignored: the name is already taken by %s.", name, distribution, owner
            )
            self._inactive.append(
                PluginRecord(name, distribution, version, "ok", active=False, shadowed_by=owner, summary=summary)
            )
            return
        try:
            call_plugin(self.hooks.register, plugin, name)
        except PluginFailure as failure:
            self._mark_broken(name, distribution, version, failure, "register", summary)
            return
        self._records[name] = PluginRecord(name, distribution, version, "ok", summary=summary)

    def _mark_broken(
        self,
        name: str,
        distribution: str | None,
        version: str | None,
        failure: PluginFailure,
        stage: str,
        summary: str | None = None,
    ) -> None:
        self._records[name] = PluginRecord(name, distribution, version, "broken", str(failure), stage, summary=summary)
        self.hooks.unregister(name)

    def records(self) -> list[PluginRecord]:
        """Active plugins in name order (the ones `--vocoder NAME` can mean)."""
        return sorted(self._records.values(), key=lambda r: r.name)

    def all_records(self) -> list[PluginRecord]:
        """Every claim, inactive ones (lost a name clash) after the active one of their name."""
        rows = [*self._records.values(), *self._inactive]
        return sorted(rows, key=lambda r: (r.name, not r.active, claim_order(r.distribution)))

    def record(self, name: str) -> PluginRecord | None:
        return self._records.get(name)

    def names(self) -> list[str]:
        """Plugins that loaded, in name order."""
        return [r.name for r in self.records() if r.status == "ok"]

    def broken(self) -> list[PluginRecord]:
        """Active plugins that failed to import, register or answer `vocoder_priority`."""
        return [r for r in self.records() if r.status != "ok"]

    def implements(self, plugin_name: str, hook: str) -> bool:
        """Whether the working plugin `plugin_name` has an implementation of `hook`."""
        return self.hooks.implementation(plugin_name, hook) is not None

    def call(self, plugin_name: str, hook: str, /, **kwargs: Any) -> Any:
        """Call `hook` on plugin `plugin_name` alone, passing only the arguments it accepts.

        Raises `PluginFailure` for anything the plugin raises.
        """
        return call_plugin(self.hooks.call, plugin_name, hook, **kwargs)

    def priority(self, name: str, model: object, purpose: str = GENERATION) -> int | None:
        """Plugin `name`'s `vocoder_priority` answer for `purpose` (`GENERATION` or `RESYNTHESIS`);
        one that raises or answers nonsense is marked broken."""
        try:
            answer = self.call(name, "vocoder_priority", model=model, purpose=purpose)
            if answer is not None and (isinstance(answer, bool) or not isinstance(answer, numbers.Integral)):
                raise PluginFailure(TypeError(f"vocoder_priority returned {answer!r}, not an int or None"))
        except PluginFailure as failure:
            record = self._records[name]
            self._mark_broken(name, record.distribution, record.version, failure, "vocoder_priority", record.summary)
            log.warning("Vocoder plugin '%s' is broken and was skipped: %s", name, failure)
            return None
        return None if answer is None else int(answer)

    def priorities(self, model: object, purpose: str = GENERATION) -> dict[str, int]:
        """Every working plugin's `vocoder_priority` answer for `purpose`, None answers left out."""
        answers = {name: self.priority(name, model, purpose) for name in self.names()}
        return {name: answer for name, answer in answers.items() if answer is not None}


@lru_cache(maxsize=1)
def get_registry() -> VocoderRegistry:
    """The process-wide registry, built on first use (never at import)."""
    return VocoderRegistry()
