"""The FastStream edge: subscribers, delivery decisions, dead letters, results and replies."""
