"""sitoo-sync test suite."""
