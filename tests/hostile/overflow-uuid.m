uuid text at=0x7fffffffffffffe0
