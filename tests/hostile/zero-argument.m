zero 0 len=1
