"""ActivityPub: vocabulary, keys, HTTP signatures, guarded fetching, inbound handlers, delivery."""
