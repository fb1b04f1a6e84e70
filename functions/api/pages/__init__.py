"""Members' pages under /app/ (and the dev-only pages under /dev/): HTML forms over the same
domain services as the JSON API. Every route is left out of the OpenAPI document.

Each module's router is included by functions/api/lazy_routes.py when a request under its
prefixes arrives: a new page module is listed there (tests/functions/test_lazy_routes.py checks),
not imported here, so that importing one page does not import them all."""
