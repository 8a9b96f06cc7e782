"""Custom Streamlit components (each a folder with its browser files): the live decoder."""
