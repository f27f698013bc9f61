import sys


def greet(name: str) -> str:
    return f"hi {name}"


if __name__ == "__main__":
    print(greet("prod" if "--reload" not in sys.argv else "dev"))
