size 1K
data "x"
size 2K
