# Public settings for the `flask` command (committed). Secrets go in .env (git-ignored).
FLASK_APP=blog
BLOG_CONFIG=development
