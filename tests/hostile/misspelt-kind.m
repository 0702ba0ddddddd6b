fil src.bin
