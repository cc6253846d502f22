"""Rules: one module per check kind turning a parsed tool output into a :class:`CheckResult`."""
