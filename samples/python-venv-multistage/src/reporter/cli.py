import sys


def main() -> None:
    print("report for", sys.argv[1:] or ["everything"])
