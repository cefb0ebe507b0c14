"""Placeholder until the 2D explorer lands (issue 3)."""
import streamlit as st

st.title("Unlearning explorer")
st.write("The interactive explorer is under construction; use `python -m explorer run --help` meanwhile.")
