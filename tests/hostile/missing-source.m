data "ok"
file nosuch.bin
