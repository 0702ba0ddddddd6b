size 1K at=0
