file src.bin src.bin
