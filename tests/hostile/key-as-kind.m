len=4
