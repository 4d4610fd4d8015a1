"""``dynaguard dashboard``: a loopback-only web view of the scan history (see ``app``)."""
