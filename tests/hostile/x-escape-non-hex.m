data "\xg0"
