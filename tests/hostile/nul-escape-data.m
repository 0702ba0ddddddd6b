data "\0\0"
