file src.bin skip=0x8000000000000000
