data "x"
size 8E
