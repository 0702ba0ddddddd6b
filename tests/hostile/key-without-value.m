data "ok"
zero len=
