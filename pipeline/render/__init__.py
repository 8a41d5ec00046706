"""Renderers: one per surface (Plotly figures, pandas tables, the terminal, the offline handout), each
drawing views and documents by type. No Streamlit here."""
