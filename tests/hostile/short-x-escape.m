data "\x4"
