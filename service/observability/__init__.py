"""What operators see of a running replica: Prometheus metrics, credential verdicts, tracing."""
