"""Streamlit helpers shared by the pages (rnnviz/ itself never imports streamlit)."""
