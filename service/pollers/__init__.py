"""Sitoo to webshop: leader-elected pollers publishing outbound events."""
