"""Web plumbing the blueprints share: URL converters, forms, pagination, templates, error
pages, request logs, security headers and the page cache."""
