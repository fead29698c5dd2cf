"""Local stand-ins for webshop platforms, for tests and development; never used in production."""
