"""App-side helpers. ``compute`` is pure Python (no Streamlit) so the benchmark and tests can use it;
``panels`` holds the Streamlit widgets and is imported by app.py only."""
