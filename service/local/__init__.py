"""Running the service on one machine: the launcher of `sitoo-sync run` and the embedded Redis."""
