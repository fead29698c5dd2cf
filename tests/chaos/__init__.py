"""The chaos harness: the service as OS processes under load and faults, judged by the sandbox."""
