data "x" sha256=abc
