"""Pure rules of affiche: no AWS, HTTP or Lambda types here; storage, mail and clocks come in as ports."""
