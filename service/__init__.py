"""sitoo-sync: keeps a webshop and Sitoo POS in sync over Redis Streams."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sitoo-sync")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
