"""Web helpers shared by the api and moderation functions: sessions, CSRF, forms, errors."""
