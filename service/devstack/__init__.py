"""The development stack of `sitoo-sync run`: embedded Redis, sandbox, state file and banner."""
