def main():
    print("service up")
