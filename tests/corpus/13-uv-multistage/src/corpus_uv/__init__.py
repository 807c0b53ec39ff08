def hello() -> None:
    print("hello from the corpus")
