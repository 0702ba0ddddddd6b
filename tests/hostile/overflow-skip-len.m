file src.bin skip=1 len=0x7fffffffffffffff
