"""The local runner (`affiche dev`): AWS emulator, HTTP gateway, stream and queue pollers."""
