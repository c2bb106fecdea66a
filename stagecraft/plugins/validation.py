"""Why pluggy rejected a plugin, told from pluggy's own records rather than its message text.

pluggy validates a hook implementation against its spec when the plugin is
registered (:class:`pluggy.PluginValidationError`, whose ``plugin``
attribute names the plugin) and reports implementations of unknown hooks
from :meth:`pluggy.PluginManager.check_pending`.  Its messages are written
for pluggy's users; these functions say the same to a plugin author in
Stagecraft's words, from the implementations and specs pluggy keeps.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import pluggy

from stagecraft.errors import did_you_mean


def _hookimpls(manager: pluggy.PluginManager, plugin: object) -> Iterator[pluggy.HookImpl]:
    """The plugin's hook implementations, in the order pluggy registers them."""
    name = manager.get_name(plugin) or ""
    for attribute in dir(plugin):
        opts = manager.parse_hookimpl_opts(plugin, attribute)
        if opts is not None:
            yield pluggy.HookImpl(plugin, name, getattr(plugin, attribute), opts)


def _hook_name(impl: pluggy.HookImpl) -> str:
    return impl.opts.get("specname") or impl.function.__name__


def _definition(impl: pluggy.HookImpl) -> str:
    return f"{impl.function.__name__}{inspect.signature(impl.function)}"


def _problem(spec: pluggy.HookCaller, impl: pluggy.HookImpl) -> str | None:
    """What is wrong with ``impl`` of the hook ``spec``, or None when nothing is."""
    assert spec.spec is not None
    passed = (*spec.spec.argnames, *spec.spec.kwargnames)
    extra = sorted(set(impl.argnames) - set(passed))
    if extra:
        takes = f"only passes {', '.join(passed)}" if passed else "takes no arguments"
        return (
            f"{_definition(impl)} declares argument(s) {', '.join(extra)}, but the hook {takes}"
        )
    if impl.wrapper and impl.hookwrapper:
        return f"{_definition(impl)} is marked both wrapper=True and hookwrapper=True"
    if (impl.wrapper or impl.hookwrapper) and not inspect.isgeneratorfunction(impl.function):
        return f"{_definition(impl)} is marked as a wrapper but does not yield"
    if spec.is_historic() and (impl.wrapper or impl.hookwrapper):
        return f"{_definition(impl)} wraps a historic hook, which cannot be wrapped"
    return None


def invalid_implementation(
    manager: pluggy.PluginManager, error: pluggy.PluginValidationError
) -> str:
    """What :meth:`~pluggy.PluginManager.register` found wrong with ``error.plugin``.

    The plugin must still be registered (pluggy leaves the implementations it
    accepted before the one it rejected), so its name is known.
    """
    for impl in _hookimpls(manager, error.plugin):
        caller = getattr(manager.hook, _hook_name(impl), None)
        if caller is None or caller.spec is None:
            continue
        problem = _problem(caller, impl)
        if problem is not None:
            return f"has an invalid implementation of hook {caller.name}: {problem}"
    # A rule this module does not know yet: pluggy's words, on one line.
    return f"has an invalid hook implementation: {' '.join(str(error).split())}"


def unknown_hooks(
    manager: pluggy.PluginManager, plugin: object, specified: list[str]
) -> str | None:
    """The unknown hooks ``plugin`` implements (with suggestions), or None when it has none.

    :meth:`~pluggy.PluginManager.check_pending` decides; the names come from
    the plugin's implementations that have no spec and are not optional.  A
    plugin registered directly (``manager.register``, as tests do) may be the
    one it reports: ``plugin`` is then judged by the same rule on its own.
    """
    try:
        manager.check_pending()
    except pluggy.PluginValidationError:
        pass
    else:
        return None
    unknown = sorted({
        caller.name
        for caller in manager.get_hookcallers(plugin) or ()
        if not caller.has_spec()
        for impl in caller.get_hookimpls()
        if impl.plugin is plugin and not impl.optionalhook
    })
    return ", ".join(name + did_you_mean(name, specified) for name in unknown) or None
