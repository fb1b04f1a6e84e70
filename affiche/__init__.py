"""affiche: a federated event and group publisher."""
__version__ = "0.1.0"
