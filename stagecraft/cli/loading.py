"""The config and plugins of a command's run, as its global options choose them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stagecraft.api import ProjectOptions, open_project
from stagecraft.cli.session import Session
from stagecraft.plugins import PluginManager, PluginSettings
from stagecraft.project import load_config, load_plugins, settings_for
from stagecraft.providers.secrets import Context

if TYPE_CHECKING:
    from stagecraft.config.schema import Config

__all__ = ["config_of", "manager_of", "project_of", "project_options", "settings_of"]


def config_of(session: Session, *, required: bool = False) -> Config | None:
    """``--config FILE``, else the nearest stagecraft.yml, else None (or an error if
    ``required``)."""
    return load_config(session.cwd, session.args.config, required=required)


def settings_of(session: Session, config: Config | None) -> PluginSettings:
    """The plugin settings of the run (environment, config, ``-p``, ``--plugins-dir``)."""
    return settings_for(config, session.cwd, options=session.args.plugin_args,
                        dirs=session.args.plugins_dirs)


def manager_of(session: Session, config: Config | None, *, strict: bool = True) -> PluginManager:
    """The plugin manager of the run."""
    return load_plugins(config, session.cwd, options=session.args.plugin_args,
                        dirs=session.args.plugins_dirs, strict=strict)


def project_options(session: Session) -> ProjectOptions:
    """The project the run's global options choose (``--config``, ``-p``, ``--plugins-dir``)."""
    return ProjectOptions(session.cwd, session.args.config, session.args.plugin_args,
                          session.args.plugins_dirs, session.redactor)


def project_of(session: Session) -> tuple[Config | None, Context]:
    """The config and a context with the run's stores, for a command that only reads."""
    project = open_project(project_options(session))
    return project.config, project.ctx
