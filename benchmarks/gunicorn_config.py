"""gunicorn's settings file for benchmarks/pages.py, given with -c: a gunicorn.conf.py in
the working directory is then never read, and every server runs with the command line's
settings and these alone."""

# gunicorn 25.1+ opens a control socket at one fixed path, which the servers would share.
control_socket_disable = True
