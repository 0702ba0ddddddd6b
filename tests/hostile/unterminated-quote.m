data "ok"
data "abc
