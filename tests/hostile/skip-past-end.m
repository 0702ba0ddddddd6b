file src.bin skip=0x7fffffffffffffff
