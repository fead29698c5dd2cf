"""Webshop platform adapters: clients of the platforms' own APIs."""
