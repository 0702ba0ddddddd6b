# aiowrite-test-options: -n
zero len=0x7fffffffffffffff
