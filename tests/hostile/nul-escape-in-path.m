file "a\0b"
