"""The uvicorn settings both benchmarked services run under: one process, one worker."""

UVICORN = {"host": "127.0.0.1", "log_level": "warning", "access_log": False, "workers": 1,
           "loop": "asyncio", "http": "h11"}
