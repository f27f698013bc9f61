from src.main import *  # noqa: F401,F403
