data "ok"
frobnicate 1 2
