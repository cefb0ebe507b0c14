"""Plotly figure builders (no Streamlit), one module per view family, mirroring explorer/views/."""
