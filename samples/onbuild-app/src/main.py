import os

print("log level", os.environ.get("LOG_LEVEL", "debug"))
