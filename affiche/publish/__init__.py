"""Static publishing: which files a change touches (artifacts.py), how each is rendered
(renderer.py, shared with the Pelican plugin), and where files go (writers.py)."""
