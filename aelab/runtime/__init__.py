"""Running work for a server: background jobs with a queue and cancel, the UMAP warm-up."""
