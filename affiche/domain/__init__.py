"""Pure rules of affiche: no AWS, HTTP or Lambda types here.

Storage, mail, keys and clocks come in as ports (context.py)."""
