"""The plugin manager: what gets loaded, in which order, and what it provides.

Discovery order (``docs/composing-plugins.md`` documents the same list):

1. The builtin ``core`` plugin, which runs ``secrets_sync`` by calling the
   provider.  It cannot be disabled.
2. Blocked names (``STAGECRAFT_DISABLE_PLUGINS``, ``-p no:NAME``,
   ``plugins.disable``) are recorded before anything is imported; a blocked
   plugin is never imported.
3. Entry points of the ``stagecraft`` group, sorted by name.  When
   ``STAGECRAFT_LOAD_PLUGINS`` is set, only the names it lists are loaded
   (set but empty: none).
4. Explicit plugin modules (``-p MODULE``, ``plugins.modules``), in order.
5. Local plugin directories (``--plugins-dir``, ``plugins.dirs``): every
   ``*.py`` in each, sorted, imported from its file without touching
   ``sys.path`` and named ``local:<path>``.

A plugin that fails (import error, invalid hook implementation, unknown hook)
is never left half-registered: it is removed again and recorded as failed
with a :class:`~stagecraft.errors.PluginLoadError` that names it, its
distribution and how to disable it.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import attrs
import pluggy

from stagecraft import discovery, hookspecs
from stagecraft.errors import PluginError, PluginLoadError, StagecraftError, did_you_mean
from stagecraft.hookspecs import PROJECT_NAME, hookimpl
from stagecraft.providers.secrets import (
    Context,
    DuplicateProviderError,
    EmptyProviderIDError,
    InvalidProviderError,
    Origin,
    Registry,
    SecretsProvider,
    SyncOptions,
    SyncResult,
    provider_id,
    set_default_registry_factory,
)
from stagecraft.text_enum import TextEnum

ENTRY_POINT_GROUP = PROJECT_NAME
CORE_PLUGIN = "core"

ENV_DISABLE = "STAGECRAFT_DISABLE_PLUGINS"
ENV_ALLOW = "STAGECRAFT_LOAD_PLUGINS"
ENV_TRACE = "STAGECRAFT_TRACE_PLUGINS"

#: The logger plugin warnings go to (the command shows them as ``stagecraft: warning: ...``).
LOGGER_NAME = "stagecraft.plugins"

_CORE_NOT_BLOCKABLE = "the builtin 'core' plugin cannot be disabled"


class CorePlugin:
    """The builtin plugin: the innermost ``secrets_sync`` calls the provider."""

    @hookimpl(trylast=True)
    def secrets_sync(
        self, provider: SecretsProvider, ctx: Context, options: SyncOptions
    ) -> SyncResult:
        ctx.check()
        result = provider.sync(ctx, options)
        if not isinstance(result, SyncResult):
            raise InvalidProviderError(
                f"provider {provider.id!r} returned {type(result).__name__} from sync(), "
                "not SyncResult"
            )
        return result


class Status(TextEnum):
    """The state of one plugin in a listing."""

    ACTIVE = "active"
    DISABLED = "disabled"
    FAILED = "failed"


class Kind(TextEnum):
    """How a plugin was found."""

    BUILTIN = "builtin"
    ENTRY_POINT = "entry point"
    MODULE = "module"
    LOCAL = "local"


@attrs.frozen
class PluginInfo:
    """One plugin as ``stagecraft plugins`` shows it."""

    name: str
    kind: Kind
    status: Status
    distribution: str | None = None
    version: str | None = None
    hooks: tuple[str, ...] = ()
    error: str | None = None
    target: str | None = None  # module path or file the plugin comes from

    @property
    def origin(self) -> Origin:
        return Origin(self.name, self.distribution, self.version)


def _split_names(value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(name.strip() for name in value.split(",") if name.strip())


@attrs.frozen
class PluginSettings:
    """What to load.  Built from the environment, the config file and ``-p``.

    ``allow`` None means "every entry point"; a tuple (even empty) restricts
    entry points to those names.  Explicit modules and local directories are
    always loaded unless blocked.
    """

    disable: tuple[str, ...] = ()
    allow: tuple[str, ...] | None = None
    modules: tuple[str, ...] = ()
    dirs: tuple[Path, ...] = ()
    entry_points: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PluginSettings:
        """Settings from ``STAGECRAFT_DISABLE_PLUGINS`` and ``STAGECRAFT_LOAD_PLUGINS``."""
        env = os.environ if environ is None else environ
        allow_raw = env.get(ENV_ALLOW)
        return cls(
            disable=_split_names(env.get(ENV_DISABLE)),
            allow=None if allow_raw is None else _split_names(allow_raw),
        )

    def merge(
        self,
        *,
        disable: Iterable[str] = (),
        modules: Iterable[str] = (),
        dirs: Iterable[Path | str] = (),
    ) -> PluginSettings:
        """These settings plus more blocked names, modules and directories.

        Blocking ``core`` fails here already, so the mistake is reported where
        it was made (the option or config entry), before anything is loaded.
        """
        disable = tuple(disable)
        if CORE_PLUGIN in disable:
            raise PluginError(_CORE_NOT_BLOCKABLE)
        return attrs.evolve(
            self,
            disable=self.disable + disable,
            modules=self.modules + tuple(modules),
            dirs=self.dirs + tuple(Path(d) for d in dirs),
        )

    def with_option(self, option: str) -> PluginSettings:
        """These settings plus one ``-p`` option: ``no:NAME`` blocks NAME, else a module."""
        value = option.strip()
        if value.startswith("no:"):
            name = value[len("no:") :].strip()
            if not name:
                raise PluginError("-p no: needs a plugin name, as in `-p no:NAME`")
            return self.merge(disable=[name])
        if not value:
            raise PluginError("-p needs a module name or no:NAME")
        return self.merge(modules=[value])


def _disable_hint(name: str) -> str:
    return f"disable it with `-p no:{name}` or {ENV_DISABLE}={name}"


def _describe(exc: BaseException) -> str:
    """A plugin's exception as its type and where it was raised; the message only with ``-v``.

    A plugin's code wrote the message, and it may hold anything, including a
    secret the plugin read while importing (no value is registered for
    masking yet at that point).  The type and ``file:line`` say where to
    look; ``-v`` (the ``stagecraft`` logger enabled for INFO) adds the
    message's first line.  A missing module is the exception: its message
    is rebuilt from the module name Python records, not taken from the text.
    """
    name = type(exc).__name__
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        return f"{name}: No module named {exc.name!r}"
    if isinstance(exc, StagecraftError):
        return f"{name}: {exc}"  # stagecraft's own wording, written never to hold a value
    where = _raised_at(exc)
    described = f"{name} at {where}" if where else name
    if not _verbose():
        return f"{described} (run with -v for its message)"
    text = str(exc).strip().splitlines()
    return f"{described}: {text[0]}" if text else described


def _raised_at(exc: BaseException) -> str:
    """``file:line`` where ``exc`` was raised, outside the import machinery and stagecraft
    itself; with `` (from file:line)`` for the plugin's own line when that differs."""
    import traceback  # only failures need it: keep it off the start-up path

    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}:{exc.lineno}"
    machinery = (os.path.dirname(__file__) + os.sep, os.path.dirname(importlib.__file__) + os.sep)
    frames = [
        frame for frame in traceback.extract_tb(exc.__traceback__)
        if not frame.filename.startswith(("<frozen ", *machinery))
    ]
    if not frames:
        return ""
    raised = f"{frames[-1].filename}:{frames[-1].lineno}"
    first = f"{frames[0].filename}:{frames[0].lineno}"
    return raised if raised == first else f"{raised} (from {first})"


def _not_from_working_directory(module_name: str, exc: BaseException) -> str:
    """A hint when ``-p NAME`` missed a ``NAME.py`` (or package) in the working directory.

    The working directory is never on ``sys.path`` (not under the console
    script, and ``python -m stagecraft`` takes it out): ``-p`` imports
    installed modules, and single files are what ``--plugins-dir`` is for.
    """
    top = module_name.split(".", maxsplit=1)[0]
    if not isinstance(exc, ModuleNotFoundError) or exc.name != top:
        return ""
    try:
        here = Path.cwd()
    except OSError:
        return ""
    for candidate in (here / f"{top}.py", here / top):
        if candidate.exists():
            return (
                f" ({candidate.name} is in the working directory, but -p imports installed "
                "modules only; load a single file with --plugins-dir DIR, or install it)"
            )
    return ""


def _verbose() -> bool:
    """Whether the command runs with ``-v`` (it sets the root logger to INFO)."""
    import logging

    return logging.getLogger(LOGGER_NAME).isEnabledFor(logging.INFO)


def _warn(message: str) -> None:
    """A warning on stderr through logging: the command prints it redacted, ``-q`` hides it."""
    import logging

    logging.getLogger(LOGGER_NAME).warning("%s", message)


class PluginManager(pluggy.PluginManager):
    """pluggy's manager with Stagecraft's discovery rules, listing and registry build."""

    def __init__(self) -> None:
        super().__init__(PROJECT_NAME)
        self.add_hookspecs(hookspecs)
        self._infos: dict[str, PluginInfo] = {}
        self._failures: list[PluginLoadError] = []
        self._local_files: set[Path] = set()
        self._warnings: list[str] = []
        #: Every name a plugin could be blocked by, of every plugin seen (loaded or not).
        self._names_seen: set[str] = {CORE_PLUGIN}
        self._entry_point_names: list[str] = []
        self._tracing = False
        self._trace_stream: TextIO = sys.stderr
        self.register(CorePlugin(), name=CORE_PLUGIN)
        self._infos[CORE_PLUGIN] = PluginInfo(
            CORE_PLUGIN,
            Kind.BUILTIN,
            Status.ACTIVE,
            "stagecraft",
            _core_version(),
            ("secrets_sync",),
            target="stagecraft.plugins.CorePlugin",
        )
        if os.environ.get(ENV_TRACE, "") not in ("", "0"):
            self.enable_safe_tracing()

    # -- blocking ----------------------------------------------------------------

    def block(self, name: str) -> None:
        """Never load (or unload) the plugin called ``name``."""
        if name == CORE_PLUGIN:
            raise PluginError(_CORE_NOT_BLOCKABLE)
        self.set_blocked(name)
        info = self._infos.get(name)
        if info is not None and info.status is Status.ACTIVE:
            self._infos[name] = attrs.evolve(info, status=Status.DISABLED, hooks=())

    # -- loading ------------------------------------------------------------------

    def load(self, settings: PluginSettings) -> None:
        """Load everything ``settings`` asks for, in the documented order."""
        for name in settings.disable:
            self.block(name)
        if settings.entry_points:
            self.load_entry_points(settings.allow)
        for module in settings.modules:
            self.load_module(module)
        for directory in settings.dirs:
            self.load_directory(directory)
        self._warn_unknown_disabled(settings.disable)

    def _warn_unknown_disabled(self, disabled: Sequence[str]) -> None:
        """Warn about blocked names no plugin has: most likely a typo (``-p no:envfiel``).

        Only a warning: a plugin may be absent on purpose (a shared CI
        setting that disables a plugin some machines lack).
        """
        known = sorted(self._names_seen - {CORE_PLUGIN})
        for name in dict.fromkeys(disabled):
            if name not in self._names_seen:
                self._warn(
                    f"plugin {name!r} is disabled, but no plugin has that name"
                    f"{did_you_mean(name, known)}; nothing was disabled for it "
                    f"(not an error: a plugin may be absent on purpose)"
                )

    def load_entry_points(self, allow: Sequence[str] | None = None) -> None:
        """Load the ``stagecraft`` entry points, sorted by name, once per distribution."""
        allowed = None if allow is None else set(allow)
        seen: set[tuple[str, str]] = set()
        found: list[tuple[str, str, discovery.EntryPointRecord]] = []
        for ep in discovery.entry_points(ENTRY_POINT_GROUP):
            marker = (ep.name, _normalise(ep.dist_name or ep.value))
            if marker in seen:
                continue  # the same distribution visible twice on sys.path
            seen.add(marker)
            found.append((ep.name, ep.dist_name or "", ep))
        self._entry_point_names = sorted({name for name, _, _ in found})
        self._names_seen.update(self._entry_point_names)
        if allowed is not None:
            self._warn_unknown_allowed(allow or ())
        for name, _, ep in sorted(found, key=lambda item: item[:2]):
            dist_name, version = ep.dist_name, ep.dist_version
            base = PluginInfo(name, Kind.ENTRY_POINT, Status.DISABLED, dist_name, version,
                              target=ep.value)
            if self.is_blocked(name):
                self._infos.setdefault(name, base)
                continue
            if allowed is not None and name not in allowed:
                self._infos.setdefault(
                    name, attrs.evolve(base, error=f"not listed in {ENV_ALLOW}")
                )
                continue
            existing = self._infos.get(name)
            if existing is not None and existing.status is Status.ACTIVE:
                self._fail(
                    base,
                    f"plugin name {name!r} is used by both {existing.origin} and "
                    f"{base.origin}; uninstall one of them"
                )
                continue
            try:
                plugin = ep.load()
            except (Exception, SystemExit) as exc:  # noqa: BLE001 - any plugin failure is reported
                self._fail(base, f"{_describe_entry_point(ep, dist_name, version)} "
                                 f"failed to import: {_describe(exc)}")
                continue
            self._register_checked(plugin, base)

    def _warn_unknown_allowed(self, allow: Sequence[str]) -> None:
        """Name each entry in ``STAGECRAFT_LOAD_PLUGINS`` that no installed plugin has."""
        installed = self._entry_point_names
        listed = ", ".join(installed) or "none"
        for name in dict.fromkeys(allow):
            if name not in installed:
                self._warn(
                    f"{ENV_ALLOW} lists {name!r}, but no installed plugin has that name"
                    f"{did_you_mean(name, installed)}; nothing is loaded for it "
                    f"(installed: {listed})"
                )

    def load_module(self, module_name: str) -> None:
        """Load a plugin module by its import name (``-p MODULE``)."""
        self._names_seen.add(module_name)
        base = PluginInfo(module_name, Kind.MODULE, Status.DISABLED, target=module_name)
        if self.is_blocked(module_name):
            self._infos.setdefault(module_name, base)
            return
        try:
            module = importlib.import_module(module_name)
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - any plugin failure is reported
            self._fail(base, f"plugin module {module_name!r} failed to import: {_describe(exc)}"
                             f"{_not_from_working_directory(module_name, exc)}")
            return
        if self.is_registered(module):
            return  # already loaded, e.g. through its entry point
        dist_name, version = _dist_of_module(module_name)
        self._register_checked(module, attrs.evolve(base, distribution=dist_name, version=version))

    def load_directory(self, directory: Path | str) -> None:
        """Load every ``*.py`` file in ``directory`` as a local plugin, sorted by name."""
        path = Path(directory)
        if not path.is_dir():
            base = PluginInfo(f"local:{path}", Kind.LOCAL, Status.DISABLED, target=str(path))
            problem = "is not a directory" if path.exists() else "does not exist"
            self._fail(base, f"plugin directory {path} {problem}")
            return
        for file in sorted(path.glob("*.py")):
            if file.is_file():
                self.load_file(file)

    def load_file(self, file: Path) -> None:
        """Load one local plugin file, without adding anything to ``sys.path``."""
        name = f"local:{file}"
        base = PluginInfo(name, Kind.LOCAL, Status.DISABLED, target=str(file))
        resolved = file.resolve()
        self._names_seen.update((name, f"local:{resolved}", file.stem))
        if resolved in self._local_files:
            # The same directory given twice (say, relative in stagecraft.yml and
            # absolute on the command line): running the file again would make
            # new provider objects that then conflict with the first ones.
            return
        self._local_files.add(resolved)
        if any(self.is_blocked(n) for n in (name, f"local:{resolved}", file.stem)):
            self._infos.setdefault(name, base)
            return
        import hashlib  # only local plugin files need it: keep it off the start-up path

        digest = hashlib.sha1(str(resolved).encode()).hexdigest()[:10]
        module_name = f"stagecraft_local_{file.stem}_{digest}"
        spec = importlib.util.spec_from_file_location(module_name, file)
        if spec is None or spec.loader is None:
            self._fail(base, f"local plugin {file} cannot be imported")
            return
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - any plugin failure is reported
            sys.modules.pop(module_name, None)
            self._fail(base, f"local plugin {file} failed to import: {_describe(exc)}")
            return
        self._register_checked(module, base)

    def _register_checked(self, plugin: object, info: PluginInfo) -> None:
        """Register ``plugin`` completely or not at all."""
        try:
            self.register(plugin, name=info.name)
        except pluggy.PluginValidationError as exc:
            self._unregister_quietly(plugin, info.name)
            self._fail(info, f"{info.origin} {self._invalid_hookimpl(exc)}")
            return
        except ValueError as exc:
            self._fail(info, f"{info.origin} could not be registered: {exc}")
            return
        unknown = self._unknown_hooks(plugin)
        if unknown:
            self._unregister_quietly(plugin, info.name)
            known = self._specified_hooks()
            hints = [name + did_you_mean(name, known) for name in unknown]
            self._fail(
                info,
                f"{info.origin} implements unknown hook(s): {', '.join(hints)}",
            )
            return
        hooks = tuple(sorted(caller.name for caller in self.get_hookcallers(plugin) or ()))
        self._infos[info.name] = attrs.evolve(info, status=Status.ACTIVE, hooks=hooks)
        if not hooks and info.kind is Kind.MODULE:
            self._warn(
                f"plugin module {info.name!r} has no stagecraft hook implementations "
                "(functions marked @stagecraft.hookimpl); it was imported but adds nothing: "
                "is it the module you meant?"
            )

    def _hook_callers(self) -> list[pluggy.HookCaller]:
        return [c for c in vars(self.hook).values() if isinstance(c, pluggy.HookCaller)]

    def _specified_hooks(self) -> list[str]:
        """Names of hooks with a spec: the only ones worth suggesting."""
        return sorted(caller.name for caller in self._hook_callers() if caller.has_spec())

    def _invalid_hookimpl(self, exc: pluggy.PluginValidationError) -> str:
        """pluggy's multi-line validation message as one line a plugin author can act on."""
        text = str(exc)
        hook = re.search(r"for hook '(\w+)'", text)
        definition = re.search(r"hookimpl definition: (.+)", text)
        extra = re.search(r"Argument\(s\) \{(.+?)\} are declared in the hookimpl", text)
        caller = getattr(self.hook, hook.group(1), None) if hook else None
        if hook and definition and extra and caller is not None and caller.spec is not None:
            names = ", ".join(sorted(n.strip().strip("'\"") for n in extra.group(1).split(",")))
            passed = (
                f"only passes {', '.join(caller.spec.argnames)}"
                if caller.spec.argnames
                else "takes no arguments"
            )
            return (
                f"has an invalid implementation of hook {hook.group(1)}: "
                f"{definition.group(1).strip()} declares argument(s) {names}, "
                f"but the hook {passed}"
            )
        flat = " ".join(line.strip() for line in text.splitlines() if line.strip())
        return f"has an invalid hook implementation: {flat}"

    def _unknown_hooks(self, plugin: object) -> list[str]:
        unknown = []
        for caller in self.get_hookcallers(plugin) or ():
            if caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin and not impl.optionalhook:
                    unknown.append(caller.name)
        return sorted(set(unknown))

    def _unregister_quietly(self, plugin: object, name: str) -> None:
        # pluggy registers hook implementations one by one, so a validation
        # error can leave earlier ones behind: take them all out again.
        if self.get_name(plugin) == name:
            self.unregister(plugin=plugin, name=name)
        # An unknown hook name leaves an empty, spec-less caller behind; drop
        # it so it is not suggested as "did you mean" to the next plugin.
        for caller in self._hook_callers():
            if not caller.has_spec() and not caller.get_hookimpls():
                delattr(self.hook, caller.name)

    def _fail(self, info: PluginInfo, message: str) -> None:
        full = f"{message}; {_disable_hint(info.name)}"
        error = PluginLoadError(full, plugin=info.name)
        self._failures.append(error)
        self._infos[info.name] = attrs.evolve(info, status=Status.FAILED, hooks=(), error=full)

    # -- state --------------------------------------------------------------------

    def _warn(self, message: str) -> None:
        self._warnings.append(message)
        _warn(message)

    @property
    def failures(self) -> tuple[PluginLoadError, ...]:
        return tuple(self._failures)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Warnings so far (each also logged to ``stagecraft.plugins``)."""
        return tuple(self._warnings)

    def raise_for_failures(self) -> None:
        """Raise one :class:`PluginLoadError` describing every plugin that failed."""
        if not self._failures:
            return
        if len(self._failures) == 1:
            raise self._failures[0]
        lines = [f"{len(self._failures)} plugins failed to load:"]
        lines += [f"  {error}" for error in self._failures]
        raise PluginLoadError("\n".join(lines), plugin=self._failures[0].plugin)

    def list_plugins(self) -> list[PluginInfo]:
        """Every plugin seen: builtin first, then by kind and name."""
        order = {Kind.BUILTIN: 0, Kind.ENTRY_POINT: 1, Kind.MODULE: 2, Kind.LOCAL: 3}
        return sorted(self._infos.values(), key=lambda info: (order[info.kind], info.name))

    def info(self, name: str) -> PluginInfo | None:
        return self._infos.get(name)

    def origin_of(self, name: str) -> Origin:
        info = self._infos.get(name)
        return info.origin if info is not None else Origin(name)

    # -- registry -----------------------------------------------------------------

    def build_registry(self) -> Registry:
        """Collect every plugin's providers into a sorted, de-duplicated :class:`Registry`.

        This is the one place provider contributions are flattened, checked
        and sorted.  Problems are collected first and reported together:
        plugins whose hook raised or returned something that is not a
        provider, then empty ids, then every id claimed by more than one
        distinct provider.
        """
        contributions: list[tuple[SecretsProvider, Origin]] = []
        broken: list[tuple[Origin, str]] = []
        impls = [
            impl
            for impl in self.hook.secrets_provider_register.get_hookimpls()
            if not (impl.wrapper or impl.hookwrapper)
        ]
        # Each implementation is called on its own, for attribution, which
        # bypasses pluggy's call monitoring: trace it here instead.
        self._trace(f"secrets_provider_register -> [{', '.join(i.plugin_name for i in impls)}]")
        for impl in impls:
            origin = self.origin_of(impl.plugin_name)
            try:
                # Flattening runs the plugin's code too when it returned a
                # generator, so its exceptions are the plugin's as well.
                items = _flatten(impl.function())
            except Exception as exc:  # noqa: BLE001 - attributed to the plugin below
                broken.append((origin, f"raised in secrets_provider_register: {_describe(exc)}"))
                continue
            for item in items:
                if not isinstance(item, SecretsProvider):
                    broken.append((origin, f"returned {type(item).__name__}, not a provider"))
                    continue
                try:
                    provider_id(item)
                except InvalidProviderError as exc:
                    broken.append((origin, f"returned an invalid provider: {exc}"))
                    continue
                contributions.append((item, origin))
        self._trace(
            "secrets_provider_register <- "
            + (f"{len(broken)} plugin(s) failed" if broken else "ok")
        )
        if broken:
            lines = []
            for origin, problem in broken:
                line = f"{origin} {problem}; {_disable_hint(origin.plugin)}"
                lines.append(line)
                # `stagecraft plugins` lists the plugin as failed, with why.
                info = self._infos.get(origin.plugin)
                if info is not None and info.status is Status.ACTIVE:
                    self._infos[origin.plugin] = attrs.evolve(
                        info, status=Status.FAILED, error=line
                    )
            raise PluginLoadError("\n".join(lines), plugin=broken[0][0].plugin)

        empty = [origin for provider, origin in contributions if not provider.id.strip()]
        if empty:
            named = ", ".join(str(origin) for origin in empty)
            hint = _disable_hint(empty[0].plugin)
            raise EmptyProviderIDError(f"secrets provider with an empty id from {named}; {hint}")

        by_id: dict[str, list[tuple[SecretsProvider, Origin]]] = {}
        for provider, origin in contributions:
            entries = by_id.setdefault(provider.id, [])
            if any(existing is provider for existing, _ in entries):
                continue  # the same object seen twice counts once
            entries.append((provider, origin))
        conflicts = {
            key: [origin for _, origin in entries]
            for key, entries in by_id.items()
            if len(entries) > 1
        }
        if conflicts:
            raise DuplicateProviderError(conflicts)

        registry = Registry()
        for key in sorted(by_id):
            provider, origin = by_id[key][0]
            registry.register(provider, origin)
        return registry

    # -- tracing ------------------------------------------------------------------

    def _trace(self, message: str) -> None:
        if self._tracing:
            print(f"stagecraft: trace: {message}", file=self._trace_stream)

    def enable_safe_tracing(self) -> None:
        """Trace hook calls to stderr by hook and plugin name, never arguments.

        pluggy's own ``enable_tracing`` prints hook arguments and results,
        which carry secret values, so it must not be used.  The trace goes to
        the stderr of the moment tracing is enabled: while a sync runs, the
        command routes ``sys.stderr`` to its "provider output" stream, and the
        core's own trace is not a provider's output.
        """
        stream = self._trace_stream = sys.stderr

        def before(
            hook_name: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]
        ) -> None:
            del kwargs  # holds secret values
            names = ", ".join(impl.plugin_name for impl in impls)
            print(f"stagecraft: trace: {hook_name} -> [{names}]", file=stream)

        def after(
            outcome: pluggy.Result[Any],
            hook_name: str,
            impls: Sequence[pluggy.HookImpl],
            kwargs: Mapping[str, Any],
        ) -> None:
            del impls, kwargs
            exc = outcome.exception
            status = "ok" if exc is None else f"raised {type(exc).__name__}"
            print(f"stagecraft: trace: {hook_name} <- {status}", file=stream)

        self.add_hookcall_monitoring(before, after)
        self._tracing = True


def _describe_entry_point(
    ep: discovery.EntryPointRecord, dist_name: str | None, version: str | None
) -> str:
    """``entry point 'name = module' of dist version``: what to look for in its pyproject."""
    text = f"entry point '{ep.name} = {ep.value}'"
    if dist_name:
        text += f" of {dist_name} {version or '?'}"
    return text


def _flatten(returned: object) -> list[object]:
    if returned is None:
        return []
    if isinstance(returned, (str, bytes, Mapping)):
        return [returned]  # not an iterable of providers; reported as invalid
    if isinstance(returned, SecretsProvider):
        return [returned]
    if isinstance(returned, Iterable):
        return list(returned)
    return [returned]


def _normalise(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _dist_of_module(module_name: str) -> tuple[str | None, str | None]:
    from importlib import metadata  # only -p MODULE needs it: keep it off the start-up path

    top = module_name.split(".", maxsplit=1)[0]
    for dist_name in metadata.packages_distributions().get(top, []):
        return dist_name, _version_of(dist_name)
    return None, None


def _core_version() -> str:
    from stagecraft import __version__

    return __version__


def _version_of(dist_name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(dist_name)
    except metadata.PackageNotFoundError:
        return None


def load_plugin_manager(
    settings: PluginSettings | None = None, *, strict: bool = True
) -> PluginManager:
    """A plugin manager with everything loaded per ``settings`` (default: the environment).

    With ``strict`` (the default), any plugin that failed raises one
    :class:`PluginLoadError`; without it, failures are only recorded, as
    ``stagecraft plugins`` needs.
    """
    manager = PluginManager()
    manager.load(settings if settings is not None else PluginSettings.from_env())
    if strict:
        manager.raise_for_failures()
    return manager


def _build_default_registry() -> Registry:
    """The default registry: the installed plugins, as the environment selects them."""
    return load_plugin_manager().build_registry()


set_default_registry_factory(_build_default_registry)
