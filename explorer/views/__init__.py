"""What each page shows, without Streamlit: one run through :func:`explorer.pipeline.run` with the probes a
page needs, and the figures and exports built from its :class:`explorer.pipeline.RunOutcome`."""
