data ÿşÃ(
data "\xff\xc0\x80"
