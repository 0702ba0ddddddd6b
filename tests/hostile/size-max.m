# aiowrite-test-options: -n
data "x"
size 0x7fffffffffffffff
