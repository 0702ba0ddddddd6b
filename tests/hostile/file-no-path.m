file len=4
