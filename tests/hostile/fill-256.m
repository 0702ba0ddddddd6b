fill 256 len=1
