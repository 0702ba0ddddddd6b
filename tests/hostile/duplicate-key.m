fill 1 len=1 at=0 len=2
