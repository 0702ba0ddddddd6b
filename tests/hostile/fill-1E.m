# aiowrite-test-options: -n
fill 0 len=1E
