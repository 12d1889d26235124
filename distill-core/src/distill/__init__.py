"""Distill: turn a personal sound collection into a playable generative instrument."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("distill-core")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
