"""Settings and scenarios: every setting's declaration, the scenario, links and forget-set selection."""
